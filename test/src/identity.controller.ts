import { Controller, Injectable, UnauthorizedException, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { interval, map } from 'rxjs';
import { SseChannel } from '../../lib/index.js';

/** What the guard puts on the request: the user and when the token expires. */
export interface TokenUser {
  id: string;
  exp: number;
}

/**
 * A bearer-token guard: `Authorization: Bearer <user>.<exp ms>` (a stand-in
 * for a JWT's `sub` and `exp`); no header: anonymous, let through.
 */
@Injectable()
export class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: TokenUser }>();
    const header = request.headers.authorization;
    if (header === undefined) {
      return true;
    }
    const match = /^Bearer ([a-z]+)\.(\d+)$/.exec(header);
    if (!match) {
      throw new UnauthorizedException('Bad token');
    }
    request.user = { id: match[1], exp: Number(match[2]) };
    return true;
  }
}

/** `identify` and `expiresAt` from what the guard set. */
export const identify = (request: { user?: TokenUser }) => request.user?.id;
export const expiresAt = (request: { user?: TokenUser }) => request.user?.exp;

@UseGuards(TokenGuard)
@Controller()
export class IdentityController {
  @SseChannel('rooms/:id', { event: 'chat' })
  room(): void {}

  /** A per-client stream. */
  @SseChannel('me', { event: 'tick' })
  me() {
    return interval(20).pipe(map((n) => ({ data: n })));
  }

  /** A route that allows one stream per user (on top of the module's cap). */
  @SseChannel('solo', { maxClientsPerIdentity: 1 })
  solo(): void {}

  /** A room that announces who is in it. */
  @SseChannel('lobby/:room', { event: 'chat', presence: true })
  lobby(): void {}

  /** The same channel through a route without the option: its identified streams count too. */
  @SseChannel('lobby/:room/quiet', { channel: 'lobby/:room' })
  lobbyQuiet(): void {}
}
