import { randomUUID } from 'node:crypto';
import { BadRequestException, Body, Controller, Injectable, Post, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';

/** Who a token belongs to, and until when (ms since the epoch). A JWT carries the same as `sub` and `exp`. */
export interface TokenUser {
  name: string;
  expiresAt: number;
}

/** A request after TokenGuard: `user` is the token's owner. */
export interface AuthedRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: TokenUser;
}

/** Tokens kept in memory: a stand-in for your sign-in (a JWT, an OAuth provider). */
@Injectable()
export class Tokens {
  private readonly users = new Map<string, TokenUser>();

  /** A new token for `name`, valid for `lifetime` ms (15 minutes by default). */
  issue(name: string, lifetime = 15 * 60_000): { token: string; expiresAt: number } {
    const token = randomUUID();
    const expiresAt = Date.now() + lifetime;
    this.users.set(token, { name, expiresAt });
    return { token, expiresAt };
  }

  /** The owner of a live token; `undefined` for an unknown or expired one. */
  find(token: string): TokenUser | undefined {
    const user = this.users.get(token);
    return user && user.expiresAt > Date.now() ? user : undefined;
  }
}

/**
 * `Authorization: Bearer <token>` or 401. A browser's EventSource cannot send
 * this header; SseClient can.
 */
@Injectable()
export class TokenGuard implements CanActivate {
  constructor(private readonly tokens: Tokens) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const header = request.headers.authorization;
    const token = typeof header === 'string' ? /^Bearer (\S+)$/.exec(header)?.[1] : undefined;
    const user = token === undefined ? undefined : this.tokens.find(token);
    if (!user) {
      throw new UnauthorizedException('Sign in first.');
    }
    request.user = user;
    return true;
  }
}

@Controller('tokens')
export class TokensController {
  constructor(private readonly tokens: Tokens) {}

  // POST /tokens {"name":"ann"}: a token for ann, {"token":"…","expiresAt":…}.
  // Your sign-in checks a password first; this stand-in does not.
  @Post()
  issue(@Body() body: { name?: unknown }) {
    if (typeof body?.name !== 'string' || !/^[\w-]{1,40}$/.test(body.name)) {
      throw new BadRequestException('Send JSON {"name": "..."}.');
    }
    return this.tokens.issue(body.name);
  }
}
