import type { LoggerService } from '@nestjs/common';

export type LogLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

/** A Nest logger that keeps what it is given, for tests that check what was logged and at which level. */
export class LogCapture implements LoggerService {
  readonly entries: { level: LogLevel; message: string }[] = [];

  at(level: LogLevel): string[] {
    return this.entries.filter((entry) => entry.level === level).map((entry) => entry.message);
  }

  /** Every message that mentions `text`, with its level. */
  find(text: string): { level: LogLevel; message: string }[] {
    return this.entries.filter((entry) => entry.message.includes(text));
  }

  log(message: unknown): void {
    this.push('log', message);
  }
  error(message: unknown): void {
    this.push('error', message);
  }
  warn(message: unknown): void {
    this.push('warn', message);
  }
  debug(message: unknown): void {
    this.push('debug', message);
  }
  verbose(message: unknown): void {
    this.push('verbose', message);
  }
  fatal(message: unknown): void {
    this.push('fatal', message);
  }

  private push(level: LogLevel, message: unknown): void {
    this.entries.push({ level, message: String(message) });
  }
}
