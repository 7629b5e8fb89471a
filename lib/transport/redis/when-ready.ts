import type { RedisClientLike } from './redis-transport-options.interface.js';

/** Resolves once `client` is ready; rejects if it closes first. */
export function whenReady(client: Pick<RedisClientLike, 'status' | 'on' | 'removeListener'>): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  if (client.status === 'end' || client.status === 'close') return Promise.reject(new Error(`connection ${client.status}`));
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      client.removeListener('ready', onReady);
      client.removeListener('end', onEnd);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => settle();
    const onEnd = () => settle(new Error('connection closed'));
    client.on('ready', onReady);
    client.on('end', onEnd);
  });
}

