import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { SAMPLE_OPTIONS, type SampleOptions } from './sample-options.js';

const read = (file: string) => readFileSync(new URL(`../sample/public/${file}`, import.meta.url), 'utf8');

/**
 * Serves the demo pages: `/` carries every panel on one connection
 * (`GET /events`, in memory); `/streams` opens a stream per panel, and is the
 * page at `/` on Redis, where `@SseChannels()` does not run yet.
 */
@ApiExcludeController()
@Controller()
export class PageController {
  private readonly streams = read('streams.html');
  private readonly main: string;
  private readonly css = read('sample.css');

  constructor(@Inject(SAMPLE_OPTIONS) options: SampleOptions) {
    this.main = options.redisUrl ? this.streams : read('index.html');
  }

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  page(): string {
    return this.main;
  }

  @Get('streams')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  streamsPage(): string {
    return this.streams;
  }

  @Get('sample.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'no-cache')
  stylesheet(): string {
    return this.css;
  }
}
