import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { SseHealthIndicator } from 'nestjs-sse-channel';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sse: SseHealthIndicator, // provided by SseModule
  ) {}

  // GET /health: 200 while the SSE transport is up, 503 while it is down.
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.sse.isHealthy('sse')]);
  }
}
