import { SseClient } from 'nestjs-sse-channel/client';

/** The events of POST /answers and GET /answers/:id: the run's id first, then the answer's tokens. */
export type AnswerEvents = { run: { id: string }; token: string };

/**
 * Asks a question and calls `onToken` with each token of the answer, in order,
 * once each. If the connection drops mid-answer, the client resumes the run:
 * GET /answers/<run id> with the id of the last event it got. Resolves at the
 * end of the answer; rejects if the server refuses (a 400 for an empty question)
 * or the run ends before the answer is complete.
 * Runs in browsers (baseUrl '' for the page's origin) and in Node 20+.
 */
export async function ask(baseUrl: string, question: string, onToken: (token: string) => void): Promise<void> {
  let runId: string | undefined;
  const client = new SseClient<AnswerEvents>(`${baseUrl}/answers`, {
    method: 'POST',
    body: { question }, // sent as JSON
    // Every reconnect is a GET of the run, with the last event's id as Last-Event-ID.
    reconnectUrl: () => `${baseUrl}/answers/${runId}`,
    // Tokens are text as sent: without this, a token such as "42" would arrive as a number.
    parse: (data, event) => (event === 'token' ? data : JSON.parse(data)),
  });
  client.on('run', (run) => (runId = run.id));
  client.on('token', (token) => onToken(token));
  // A failure before the run's id came: there is nothing to resume (and no token was shown).
  client.onError((error) => {
    if (runId === undefined && error.retryIn !== undefined) {
      client.close();
    }
  });
  // Resolves with the end event's data; with undefined when the client was closed without it.
  const end = await client.done;
  if (end === undefined) {
    throw new Error('The answer was cut off before it began: ask again.');
  }
  if (end.reason !== 'complete') {
    throw new Error(`The answer stopped before its end (${end.reason}).`);
  }
}
