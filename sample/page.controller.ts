import { Controller, Get, Header, type OnModuleInit } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { buildClientBundle } from './client-bundle.js';

const read = (file: string) => readFileSync(new URL(`../sample/public/${file}`, import.meta.url), 'utf8');

/**
 * Serves the demo pages: `/` carries every panel on one connection
 * (`GET /events`, through `nestjs-sse-channel/client`, which it imports from
 * `/client.js`); `/streams` opens a stream per panel.
 */
@ApiExcludeController()
@Controller()
export class PageController implements OnModuleInit {
  private readonly streams = read('streams.html');
  private readonly main = read('index.html');
  private readonly css = read('sample.css');
  private client = '';

  async onModuleInit(): Promise<void> {
    this.client = await buildClientBundle();
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

  /** The browser bundle of `nestjs-sse-channel/client`. */
  @Get('client.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-cache')
  clientScript(): string {
    return this.client;
  }
}
