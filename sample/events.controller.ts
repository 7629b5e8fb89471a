import { randomBytes } from 'node:crypto';
import { BadRequestException, Body, ConflictException, Controller, ForbiddenException, Inject, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import { SseBroadcaster, SseChannels } from 'nestjs-sse-channel';
import { finalize } from 'rxjs';
import { fakeModel } from './answers.controller.js';
import { Question } from './events.dto.js';
import { sampleIdentity } from './sample-identity.js';
import { SAMPLE_OPTIONS, type SampleOptions } from './sample-options.js';

const USER_QUERY = { name: 'user', type: String, required: true, description: 'Who you are (a real app reads its session instead)' };
const ROOM = /^[\w-]{1,40}$/;
/** How long a finished run stays among its asker's channels: a client back after its end still gets the end. */
const RUN_GRACE_MS = 60_000;
/** The runs of one person the handler adds back on a reconnect. */
const RUNS_PER_USER = 3;

interface Run {
  readonly id: string;
  endedAt?: number;
}

/** Who may see a room: anyone, but `private-<name>` is for `<name>` only. */
export function mayEnter(user: string, room: string): boolean {
  return !room.startsWith('private-') || room === `private-${user}`;
}

/**
 * The page's one connection (`@SseChannels()`, in memory or on Redis): the
 * ticker, the rooms the user asked for and may see, and the user's answers in
 * progress, on one stream — a browser on HTTP/1.1 opens at most 6 connections
 * per origin across its tabs. Frames are named by their channel (`ticker`,
 * `rooms/42`, `rooms/42#sse-join`, `answers/<id>#sse-end`…).
 */
@Controller('events')
export class EventsController {
  /** Each person's latest runs: what the handler adds back on a reconnect (a real app keeps them in its database, which every instance reads). */
  private readonly runs = new Map<string, Run[]>();

  constructor(
    private readonly broadcaster: SseBroadcaster,
    @Inject(SAMPLE_OPTIONS) private readonly options: SampleOptions,
  ) {}

  /** `GET /events?room=…&user=…` → `ticker`, `rooms/<room>` (with its presence) and `answers/<id>` frames. */
  @SseChannels({ retry: 500 })
  @ApiQuery(USER_QUERY)
  @ApiQuery({ name: 'room', type: String, required: false, description: 'A room to follow (repeat for more); `private-<name>` is for `<name>` only' })
  channels(@Query('room') rooms: string[] | string = [], @Req() request: { query?: Record<string, unknown> }): string[] {
    const user = this.userOf(request);
    const wanted = [rooms].flat();
    for (const room of wanted) {
      if (!ROOM.test(room)) {
        throw new BadRequestException(`Bad room ${JSON.stringify(room)}: 1 to 40 letters, digits, "_" or "-".`);
      }
      if (!mayEnter(user, room)) {
        throw new ForbiddenException(`The room "${room}" is not yours.`);
      }
    }
    return ['ticker', ...wanted.map((room) => `rooms/${room}`), ...this.runsOf(user).map((run) => `answers/${run.id}`)];
  }

  /**
   * Starts a run (`answers/<id>`) and adds it to the asker's open `/events`
   * streams (`subscribe()`): its tokens come on the stream the page has, as
   * `answers/<id>` frames, then `answers/<id>#sse-end`.
   */
  @Post('answers')
  @ApiQuery(USER_QUERY)
  @ApiBody({ type: Question })
  async ask(@Body() body: { question?: unknown; id?: unknown }, @Req() request: { query?: Record<string, unknown> }): Promise<{ id: string; channel: string }> {
    const user = this.userOf(request);
    const id = typeof body?.id === 'string' && /^[a-z0-9-]{1,40}$/.test(body.id) ? body.id : randomBytes(6).toString('hex');
    if (typeof body?.question !== 'string' || body.question.trim() === '') {
      throw new BadRequestException('Send JSON { "question": "..." } (and, optionally, an "id" of a-z, 0-9 and "-").');
    }
    const channel = `answers/${id}`;
    const run: Run = { id };
    try {
      // The run outlives its client: it stops only when nobody has listened for a minute.
      this.broadcaster.connect(channel, fakeModel(this.options.answerTokenMs).pipe(finalize(() => (run.endedAt = Date.now()))), {
        end: true,
        cancelWhenIdle: 60_000,
      });
    } catch (error) {
      throw new ConflictException(`The run ${id} exists already: ${(error as Error).message}`);
    }
    this.forget();
    this.runs.set(user, [...this.runsOf(user), run].slice(-RUNS_PER_USER));
    // (Its first token comes a tick later at the earliest: the streams have joined by then.)
    await this.broadcaster.subscribe(user, channel);
    return { id, channel };
  }

  private userOf(request: { query?: Record<string, unknown> }): string {
    const user = sampleIdentity(request);
    if (user === undefined) {
      throw new BadRequestException('Say who you are: ?user=<name> (letters, digits, " ", ".", "_" or "-").');
    }
    return user;
  }

  /** The user's runs still going, or ended less than the grace ago. */
  private runsOf(user: string): Run[] {
    const now = Date.now();
    return (this.runs.get(user) ?? []).filter((run) => run.endedAt === undefined || now - run.endedAt < RUN_GRACE_MS);
  }

  /** Drops the runs over for good: the map holds the people with a recent run. */
  private forget(): void {
    for (const user of [...this.runs.keys()]) {
      const runs = this.runsOf(user);
      if (runs.length === 0) {
        this.runs.delete(user);
      } else {
        this.runs.set(user, runs);
      }
    }
  }
}
