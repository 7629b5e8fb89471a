import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';

const read = (file: string) => readFileSync(new URL(`../sample/public/${file}`, import.meta.url), 'utf8');

/**
 * Serves the demo pages: `/` carries every panel on one connection
 * (`GET /events`); `/streams` opens a stream per panel.
 */
@ApiExcludeController()
@Controller()
export class PageController {
  private readonly streams = read('streams.html');
  private readonly main = read('index.html');
  private readonly css = read('sample.css');

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
