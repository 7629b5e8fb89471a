/** One frame of the encoder's text, read back: its event name, id and data. */
export interface DecodedFrame {
  readonly event: string | undefined;
  readonly id: string | undefined;
  /** The `data:` lines, joined by LF (`undefined`: none, e.g. a comment). */
  readonly data: string | undefined;
}

/**
 * Reads whole frames as the encoder writes them — `field: value` lines ended
 * by LF, a blank line after each frame — for a reader inside this process
 * (e.g. the MCP store following a channel). It reads nothing else: a frame
 * of another writer, a CR, a field without its space, is not its concern.
 */
export function decodeFrames(text: string): DecodedFrame[] {
  const frames: DecodedFrame[] = [];
  for (const block of text.split('\n\n')) {
    if (block === '') {
      continue;
    }
    let event: string | undefined;
    let id: string | undefined;
    let data: string | undefined;
    for (const line of block.split('\n')) {
      const colon = line.indexOf(': ');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 2);
      if (field === 'data') {
        data = data === undefined ? value : `${data}\n${value}`;
      } else if (field === 'event') {
        event = value;
      } else if (field === 'id') {
        id = value;
      }
    }
    frames.push({ event, id, data });
  }
  return frames;
}
