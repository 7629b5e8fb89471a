import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';

const PAGE = new URL('../sample/public/index.html', import.meta.url);

/** Serves the demo page at `/`. */
@ApiExcludeController()
@Controller()
export class PageController {
  private readonly html = readFileSync(PAGE, 'utf8');

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  page(): string {
    return this.html;
  }
}
