import { connect, type Socket } from 'node:net';
import type { TestApp } from './create-app.js';

/** A client that sends its request, reads the response headers, then stops reading for good. */
export async function stuckClient(t: TestApp, path: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const port = Number(new URL(t.url).port);
  const socket = connect(port, '127.0.0.1');
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  await new Promise<void>((resolve) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        socket.off('data', onData);
        socket.pause();
        resolve();
      }
    };
    socket.on('data', onData);
  });
  return { socket, closed };
}
