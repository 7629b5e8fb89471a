import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What a Node HTTP/1 response exposes that tells how its body goes out. */
interface OutgoingState {
  _headerSent?: boolean;
  chunkedEncoding?: boolean;
  outputSize?: number;
  socket?: Socket | null;
}

/**
 * The socket of an HTTP/1.1 response whose body is chunked and whose headers
 * are out, when nothing of it is waiting inside the response: from then on
 * frames can go straight to the socket with the same chunked framing that
 * `response.write()` adds — without the frameworks' cost per write (Express's
 * response makes every `write()` notably dearer). `null` when the response
 * is not like that (HTTP/2, HTTP/1.0, a body Node does not chunk), `undefined`
 * when it cannot tell yet.
 */
export function chunkedSocket(response: ServerResponse): Socket | null | undefined {
  const state = response as unknown as OutgoingState;
  if (!state._headerSent) {
    return undefined;
  }
  const socket = state.socket;
  if (state.chunkedEncoding !== true || !socket || typeof socket.cork !== 'function' || response.req?.httpVersionMajor !== 1) {
    return null;
  }
  return state.outputSize === 0 ? socket : undefined;
}

const CRLF = '\r\n';

/** Writes one chunk of a chunked body: its size in hex, the bytes, CRLF (`size`: the chunk's UTF-8 length, when known). */
export function writeChunk(socket: Socket, chunk: string | Buffer, onFlushed?: () => void, size?: number): void {
  if (typeof chunk === 'string') {
    socket.write(`${(size ?? Buffer.byteLength(chunk)).toString(16)}${CRLF}${chunk}${CRLF}`, 'utf8', onFlushed);
    return;
  }
  // A Buffer is shared by the clients of a channel: no copy, one writev.
  socket.cork();
  socket.write(`${chunk.length.toString(16)}${CRLF}`, 'latin1');
  socket.write(chunk);
  socket.write(CRLF, 'latin1', onFlushed);
  socket.uncork();
}
