import { Injectable } from '@nestjs/common';
import { concatMap, delay, from, of, tap, type Observable } from 'rxjs';

/** The fake model's answer to a question. A real app gets its answer from its model. */
export function fakeAnswer(question: string): string {
  return `You asked: "${question}". This answer comes one word at a time, and a client cut off mid-answer picks it up where it stopped.`;
}

/** A stand-in for an LLM client: answers word by word, and remembers complete answers. */
@Injectable()
export class LlmService {
  private readonly answers = new Map<string, string>();

  /** The complete answer given before to the same question, if any. */
  cached(question: string): string | undefined {
    return this.answers.get(question);
  }

  /** The answer as tokens, 50 ms apart. Subscribing starts the generation; unsubscribing stops it. */
  tokens$(question: string): Observable<string> {
    const answer = fakeAnswer(question);
    return from(answer.split(/(?<= )/)).pipe(
      concatMap((token) => of(token).pipe(delay(50))),
      tap({ complete: () => this.answers.set(question, answer) }),
    );
  }
}
