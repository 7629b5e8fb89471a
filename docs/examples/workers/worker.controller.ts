import { Controller, Get } from '@nestjs/common';
import { SseBroadcaster } from 'nestjs-sse-channel';

@Controller('worker')
export class WorkerController {
  constructor(private readonly broadcaster: SseBroadcaster) {}

  // GET /worker: the worker that holds this connection, and the streams it holds (each worker its own).
  @Get()
  whoAmI() {
    return { pid: process.pid, streams: this.broadcaster.totals().streams };
  }
}
