// Reads one event with the package's testing helper (`nestjs-sse-channel/testing`).
import { collectSseEvents } from 'nestjs-sse-channel/testing';

async function main(): Promise<void> {
  const { status, headers, events } = await collectSseEvents(process.argv[2], { path: '/ticks', count: 1, timeout: 10_000 });
  console.log(JSON.stringify({ status, contentType: headers['content-type'], event: events[0] }));
}
void main();
