import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';

/** Who signed in, and until when (ms since the epoch). A JWT carries the same as `sub` and `exp`. */
export interface User {
  name: string;
  expiresAt: number;
}

/** Sessions kept in memory: a stand-in for your real sign-in (a JWT, a session store). */
@Injectable()
export class Sessions {
  private readonly users = new Map<string, User>();

  /** A new session for `name`, valid for `lifetime` ms (one hour by default); its token goes in a cookie. */
  create(name: string, lifetime = 3_600_000): { token: string; user: User } {
    const token = randomUUID();
    const user = { name, expiresAt: Date.now() + lifetime };
    this.users.set(token, user);
    return { token, user };
  }

  /** The user of a live session; `undefined` for an unknown or expired token. */
  find(token: string): User | undefined {
    const user = this.users.get(token);
    if (user && user.expiresAt <= Date.now()) {
      this.users.delete(token);
      return undefined;
    }
    return user;
  }

  delete(token: string): void {
    this.users.delete(token);
  }
}
