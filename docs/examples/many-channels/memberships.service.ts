import { Injectable } from '@nestjs/common';

/**
 * Who is in which room. In memory here; in your app, your database — the
 * stream's handler reads it again on every reconnect, on any instance.
 */
@Injectable()
export class Memberships {
  private readonly rooms = new Map<string, Set<string>>();

  roomsOf(user: string): string[] {
    return [...(this.rooms.get(user) ?? [])];
  }

  has(user: string, room: string): boolean {
    return this.rooms.get(user)?.has(room) ?? false;
  }

  add(user: string, room: string): void {
    this.rooms.set(user, new Set(this.roomsOf(user)).add(room));
  }

  remove(user: string, room: string): void {
    this.rooms.get(user)?.delete(room);
  }
}
