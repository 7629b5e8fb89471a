import { Controller } from '@nestjs/common';
import { Exclude, Expose, instanceToPlain } from 'class-transformer';
import { of } from 'rxjs';
import { SseBroadcaster, SseChannel, SseModule } from '../../lib/index.js';
import { collectSseEvents, SseTestStream } from '../../lib/testing/index.js';
import { createTestApp, PLATFORMS, type TestApp } from '../src/create-app.js';

class UserDto {
  id: number;
  name: string;
  @Exclude()
  passwordHash: string;
  @Expose()
  get display(): string {
    return `#${this.id} ${this.name}`;
  }
  constructor(id: number, name: string, passwordHash: string) {
    this.id = id;
    this.name = name;
    this.passwordHash = passwordHash;
  }
}

const ada = () => new UserDto(1, 'ada', 'secret-hash');

@Controller('users')
class UsersController {
  @SseChannel('feed', { channel: 'users', event: 'user' })
  feed(): void {}

  /** A per-client stream of DTOs: the module's serialize applies. */
  @SseChannel('me', { event: 'me' })
  me() {
    return of(ada(), { data: ada(), event: 'again' });
  }

  /** This route serializes its own way. */
  @SseChannel('raw', { transform: (data) => ({ only: (data as UserDto).name }) })
  raw() {
    return of(ada());
  }
}

describe.each(PLATFORMS)('serialize (hiding @Exclude() fields) on %s', (platform) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(platform, {
      imports: [SseModule.forRoot({ heartbeat: 0, transform: (data) => instanceToPlain(data) })],
      controllers: [UsersController],
    });
  });
  afterAll(() => t.close());

  it('applies to published data', async () => {
    const stream = await SseTestStream.open(t.server, { path: '/users/feed' });
    await t.app.get(SseBroadcaster).publish('users', ada());
    const [event] = await stream.waitForEvents(1);
    expect(JSON.parse(event.data)).toEqual({ id: 1, name: 'ada', display: '#1 ada' });
    await stream.close();
  });

  it('applies to the values of a per-client Observable (plain data and message data alike), and routes may override it', async () => {
    const me = await collectSseEvents(t.server, { path: '/users/me' });
    expect(me.events.map((e) => [e.event, JSON.parse(e.data)])).toEqual([
      ['me', { id: 1, name: 'ada', display: '#1 ada' }],
      ['again', { id: 1, name: 'ada', display: '#1 ada' }],
    ]);
    const raw = await collectSseEvents(t.server, { path: '/users/raw' });
    expect(raw.events.map((e) => e.data)).toEqual(['{"only":"ada"}']);
  });

  it('without it, JSON has every field — which is why the option exists', async () => {
    const plain = await createTestApp(platform, { imports: [SseModule.forRoot({ heartbeat: 0 })], controllers: [UsersController] });
    try {
      const me = await collectSseEvents(plain.server, { path: '/users/me' });
      expect(JSON.parse(me.events[0].data)).toEqual({ id: 1, name: 'ada', passwordHash: 'secret-hash' });
    } finally {
      await plain.close();
    }
  });

  it('refuses a serialize that is not a function, naming it', () => {
    expect(() => SseModule.forRoot({ transform: 'instanceToPlain' as never })).toThrow(
      /Invalid SseModule options\.transform "instanceToPlain": pass a function \(data\) => data/,
    );
  });
});
