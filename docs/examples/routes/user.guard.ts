import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';

export interface User {
  name: string;
}

/**
 * A stand-in for your authentication (a session, a JWT in a cookie): it trusts
 * the cookie `user=<name>` as it is, and sets `request.user`.
 */
@Injectable()
export class UserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: { cookie?: string }; user?: User }>();
    const name = /(?:^|;\s*)user=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
    if (name === undefined) {
      throw new UnauthorizedException('Log in first: no cookie "user"');
    }
    request.user = { name: decodeURIComponent(name) };
    return true;
  }
}
