import { pathParams } from '../../lib/routing/path-params.js';

describe('pathParams() (the path params an SSE route documents)', () => {
  it.each([
    [[':id'], ['id']],
    [['rooms/:id/notes/:note'], ['id', 'note']],
    [[':id', 'runs/:id/stream', 'jobs/:job'], ['id', 'job']],
    [['files/*path'], ['path']],
    [['users{/:group}/list'], ['group']],
    [[':"room id"/x'], ['room id']],
    [['a\\:b/:c'], ['c']],
    [['', '/', 'ticker'], []],
  ])('%j → %j', (paths, params) => {
    expect(pathParams(paths)).toEqual(params);
  });
});
