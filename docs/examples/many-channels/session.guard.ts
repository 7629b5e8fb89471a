import { createParamDecorator, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';

/** What the guard adds to the request: who is signed in. */
export interface SignedIn {
  user: string;
}

/**
 * A stand-in for your real guard (a session, a JWT in a cookie): the cookie
 * `user=<name>` says who is signed in. A browser's EventSource sends cookies,
 * but no custom headers.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: { cookie?: string } } & Partial<SignedIn>>();
    const user = /(?:^|;\s*)user=([\w-]{1,40})(?:;|$)/.exec(request.headers.cookie ?? '')?.[1];
    if (user === undefined) {
      throw new UnauthorizedException('Sign in first.');
    }
    request.user = user;
    return true;
  }
}

/** The signed-in user, in a handler behind the guard. */
export const User = createParamDecorator((_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<SignedIn>().user);
