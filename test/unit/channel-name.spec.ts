import { BadRequestException } from '@nestjs/common';
import { channelName } from '../../lib/index.js';

describe('channelName(): a channel from request values that cannot escape its template', () => {
  it('fills each :param, numbers included', () => {
    expect(channelName('rooms/:id', { id: '42' })).toBe('rooms/42');
    expect(channelName('users/:user/rooms/:room', { user: 'ann', room: 7 })).toBe('users/ann/rooms/7');
    expect(channelName('news', {})).toBe('news');
  });

  it.each([
    ['1/private', 'rooms/1/private: another channel, which another route may guard'],
    ['', 'an empty segment'],
    ['a\nb', 'a control character'],
    ['\u0000', 'NUL'],
  ])('refuses %j with a 400 naming the param and the template (%s)', (id) => {
    let thrown: unknown;
    try {
      channelName('rooms/:id', { id });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BadRequestException);
    expect((thrown as BadRequestException).getStatus()).toBe(400);
    expect((thrown as Error).message).toMatch(/^Invalid id ".*": it fills ":id" of the channel "rooms\/:id", so it must be non-empty, without "\/" or control characters\.$/);
  });

  it('a bug in the call is a plain Error: a template that is no channel name, or a :param without a value', () => {
    expect(() => channelName('/rooms/:id', { id: '1' })).toThrow(/channelName\(\): Invalid SSE channel name "\/rooms\/:id"/);
    expect(() => channelName('rooms/:id', {})).toThrow('channelName("rooms/:id"): no value for ":id". Pass { id: … }.');
    expect(() => channelName('rooms/:id', {})).not.toThrow(BadRequestException);
  });
});
