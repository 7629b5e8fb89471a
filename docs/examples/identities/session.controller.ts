import { BadRequestException, Body, Controller, Delete, HttpCode, Post, Req, Res } from '@nestjs/common';
import { SseBroadcaster } from 'nestjs-sse-channel';
import { sessionToken, type AuthedRequest } from './auth.guard.js';
import { Sessions } from './sessions.js';

/** What sets a header on both platforms: Express's Response and Fastify's reply. */
interface CookieResponse {
  header(name: string, value: string): unknown;
}

@Controller('session')
export class SessionController {
  constructor(
    private readonly sessions: Sessions,
    private readonly broadcaster: SseBroadcaster,
  ) {}

  // POST /session {"name":"ada"}: signs in (a demo: no password) and sets the session cookie.
  @Post()
  signIn(@Body() body: { name?: unknown }, @Res({ passthrough: true }) response: CookieResponse) {
    if (typeof body?.name !== 'string' || !/^[\w.-]{1,40}$/.test(body.name)) {
      throw new BadRequestException('Send JSON {"name": "..."}: 1 to 40 letters, digits, "_", "." or "-".');
    }
    const { token, user } = this.sessions.create(body.name);
    // Add `Secure` when you serve HTTPS.
    response.header('set-cookie', `session=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600`);
    return user;
  }

  // DELETE /session: signs out. The session goes, and so do the user's open streams.
  @Delete()
  @HttpCode(204)
  async signOut(@Req() request: AuthedRequest, @Res({ passthrough: true }) response: CookieResponse): Promise<void> {
    const token = sessionToken(request);
    const user = token === undefined ? undefined : this.sessions.find(token);
    if (token !== undefined) {
      this.sessions.delete(token);
    }
    response.header('set-cookie', 'session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
    if (user) {
      // Guards ran when the streams opened; an open stream is not asked again. End them all
      // (every tab, on every instance): each gets `sse-close` {"reason":"revoked"} first.
      await this.broadcaster.disconnect(user.name);
    }
  }
}
