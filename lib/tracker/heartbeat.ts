import { HEARTBEAT_FRAME } from '../wire/encoder.js';
import type { SseConnection } from '../connection/connection.js';

interface Beat {
  readonly timer: NodeJS.Timeout;
  readonly connections: Set<SseConnection>;
}

/**
 * Keeps idle streams open through proxies: one timer per distinct interval
 * (normally one for the whole app), never one per client. It writes a comment
 * through the connection's normal write path, and since every write is whole
 * frames, a heartbeat always lands between two frames.
 */
export class Heartbeat {
  private readonly beats = new Map<number, Beat>();

  /** Number of running timers (one per distinct interval in use). */
  get timerCount(): number {
    return this.beats.size;
  }

  add(connection: SseConnection, intervalMs: number): void {
    if (intervalMs <= 0) {
      return;
    }
    let beat = this.beats.get(intervalMs);
    if (!beat) {
      const connections = new Set<SseConnection>();
      const timer = setInterval(() => {
        for (const each of connections) {
          each.write(HEARTBEAT_FRAME);
        }
      }, intervalMs);
      timer.unref();
      beat = { timer, connections };
      this.beats.set(intervalMs, beat);
    }
    beat.connections.add(connection);
  }

  remove(connection: SseConnection, intervalMs: number): void {
    const beat = this.beats.get(intervalMs);
    if (beat?.connections.delete(connection) && beat.connections.size === 0) {
      clearInterval(beat.timer);
      this.beats.delete(intervalMs);
    }
  }

  stop(): void {
    for (const beat of this.beats.values()) {
      clearInterval(beat.timer);
    }
    this.beats.clear();
  }
}
