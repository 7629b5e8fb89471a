import { createParser } from 'eventsource-parser';

/**
 * Asks a question and calls `onToken` with each token of the answer, in order,
 * once each. If the connection drops mid-answer, it resumes the run:
 * GET /answers/<run id> with the id of the last event it got.
 * Runs in browsers (baseUrl '' for the page's origin) and in Node 20+.
 */
export async function ask(baseUrl: string, question: string, onToken: (token: string) => void): Promise<void> {
  let runId: string | undefined;
  let lastEventId: string | undefined;
  let ended = false;
  const parser = createParser({
    onEvent: (event) => {
      lastEventId = event.id ?? lastEventId;
      if (event.event === 'run') runId = (JSON.parse(event.data) as { id: string }).id;
      if (event.event === 'token') onToken(event.data);
      if (event.event === 'sse-end') ended = true;
    },
  });

  let response = await fetch(`${baseUrl}/answers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ question }),
  });
  for (let resumes = 0; ; resumes++) {
    if (response.status === 204) return; // the run is over and we had its end
    if (!response.ok || !response.body) throw new Error(`${response.status}: ${await response.text()}`);
    try {
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) parser.feed(chunk.value);
    } catch {
      // The connection dropped: resume below.
    }
    if (ended) return;
    if (runId === undefined || lastEventId === undefined || resumes === 3) {
      throw new Error('The answer was cut off and could not be resumed.');
    }
    parser.reset(); // forget a half-received event
    response = await fetch(`${baseUrl}/answers/${runId}`, { headers: { 'last-event-id': lastEventId } });
  }
}
