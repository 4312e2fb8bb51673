import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Store } from '@gatehouse/store';
import { Public } from '../auth/actor';
import { DEPENDENCY_RETRY_AFTER_SECONDS } from '../common/error.filter';
import { TemporalService } from '../temporal/temporal.service';
import { STORE } from '../tokens';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(TemporalService) private readonly temporal: TemporalService,
  ) {}

  @Get()
  @Public()
  async health(@Res({ passthrough: true }) res: Response) {
    const [mongo, temporal] = await Promise.all([
      Promise.race([
        this.store.ping().then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 2000)),
      ]).catch(() => false),
      this.temporal.healthy(),
    ]);
    const checks = { mongo: mongo ? 'up' : 'down', temporal: temporal ? 'up' : 'down' };
    if (mongo && temporal) return { status: 'ok', checks };
    res.status(503).setHeader('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
    return {
      statusCode: 503,
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'A dependency is down.',
      status: 'unavailable',
      checks,
    };
  }
}
