import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/actor';
import { ApiRateLimited } from '../common/api-responses';
import { fail } from '../common/errors';
import type { GatewayConfig } from '../config';
import { TemporalService } from '../temporal/temporal.service';
import { GATEWAY_CONFIG } from '../tokens';
import { GatewayMetrics } from './metrics';

const digest = (s: string) => createHash('sha256').update(s).digest();

@ApiTags('operations')
@ApiRateLimited()
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
    @Inject(TemporalService) private readonly temporal: TemporalService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /**
   * No user token: Prometheus has none. With METRICS_TOKEN set, the scraper presents that one instead
   * (docs/operations.md, "Metrics and traces").
   */
  @Get()
  @Public()
  @ApiOperation({
    summary: 'Prometheus metrics of this gateway replica',
    description:
      'Text exposition format. Open unless METRICS_TOKEN is set; then `Authorization: Bearer <METRICS_TOKEN>` is required. ' +
      'Series and labels: docs/operations.md, "Metrics and traces".',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The metrics', schema: { type: 'string' } })
  @ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: METRICS_TOKEN is set and was not presented' })
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    const token = this.config.metricsToken;
    if (token) {
      const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      // Compared as digests: equal lengths, and no timing that tells how much of the token matched.
      if (!timingSafeEqual(digest(presented), digest(token)))
        fail('UNAUTHENTICATED', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.');
    }
    await this.metrics.refreshTickets(() => this.temporal.countTickets());
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.send(await this.metrics.registry.metrics());
  }
}
