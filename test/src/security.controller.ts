import { Controller, Injectable, UseGuards, type CanActivate } from '@nestjs/common';
import { interval, map, take } from 'rxjs';
import { SseChannel } from '../../lib/index.js';

/** Lets nobody in: stands for a guard that checks the user owns the profile. */
@Injectable()
export class OwnerGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

/** How often each handler ran (a refused request must not reach it). */
export const handlerRuns = { profile: 0, team: 0, ticks: 0, slowStart: 0 };

/** The common layout: an open route and a guarded one whose channel names share a prefix. */
@Controller()
export class ProfileController {
  @SseChannel('users/:id', { event: 'profile' })
  profile(): void {
    handlerRuns.profile++;
  }

  @UseGuards(OwnerGuard)
  @SseChannel('users/:id/private', { event: 'private' })
  privateEvents(): void {}

  @SseChannel('orgs/:org/teams/:team')
  team(): void {
    handlerRuns.team++;
  }

  @UseGuards(OwnerGuard)
  @SseChannel('orgs/:org/admin/teams/:team')
  adminTeam(): void {}

  /** A per-client stream, to count it against maxClients too. */
  @SseChannel('ticks')
  ticks() {
    handlerRuns.ticks++;
    return interval(20).pipe(
      take(1000),
      map((n) => ({ data: n })),
    );
  }

  /** A handler that takes a while (an async lookup) before its stream opens. */
  @SseChannel('slow-start')
  async slowStart() {
    handlerRuns.slowStart++;
    await new Promise((resolve) => setTimeout(resolve, 50));
    return interval(20).pipe(take(1000));
  }
}
