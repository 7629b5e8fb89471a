import { Injectable } from '@nestjs/common';
import { SseBroadcaster, channelName } from 'nestjs-sse-channel';

/** One line of a match's live commentary; `n` counts them from 1. */
export interface Line {
  n: number;
  minute: number;
  text: string;
}

@Injectable()
export class MatchesService {
  private readonly commentaries = new Map<string, Line[]>();

  constructor(private readonly broadcaster: SseBroadcaster) {}

  /** Every line so far: what a client reloads after a reset event. */
  lines(matchId: string): Line[] {
    return this.commentaries.get(matchId) ?? [];
  }

  /** Adds a line and publishes it to the match's channel; resolves with its event id. */
  add(matchId: string, minute: number, text: string): Promise<string> {
    const channel = channelName('matches/:id/live', { id: matchId });
    const lines = this.lines(matchId);
    const line: Line = { n: lines.length + 1, minute, text };
    this.commentaries.set(matchId, [...lines, line]);
    return this.broadcaster.publish(channel, line);
  }
}
