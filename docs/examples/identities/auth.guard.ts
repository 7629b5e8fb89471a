import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Sessions, type User } from './sessions.js';

/** A request after AuthGuard: `user` is set when it carries a live session, absent when anonymous. */
export interface AuthedRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: User;
}

/** The token of the `session` cookie. Browsers send cookies with EventSource; they cannot send an Authorization header. */
export function sessionToken(request: AuthedRequest): string | undefined {
  const cookie = request.headers.cookie;
  return typeof cookie === 'string' ? /(?:^|;\s*)session=([^;]+)/.exec(cookie)?.[1] : undefined;
}

/**
 * No cookie: anonymous, let through. A live session: `request.user` is set.
 * An unknown or expired session: 401, so that the page signs in again.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly sessions: Sessions) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const token = sessionToken(request);
    if (token === undefined) {
      return true;
    }
    const user = this.sessions.find(token);
    if (!user) {
      throw new UnauthorizedException('Your session has ended: sign in again.');
    }
    request.user = user;
    return true;
  }
}
