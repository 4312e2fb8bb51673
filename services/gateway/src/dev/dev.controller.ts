import fs from 'node:fs/promises';
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/actor';
import { fail } from '../common/errors';
import type { GatewayConfig } from '../config';
import { GATEWAY_CONFIG } from '../tokens';

/**
 * `npm run dev` only: the demo people and their tokens, so the dashboard can sign in with one click.
 * Answers 404 unless DEV_TOKENS_FILE is set, which the gateway refuses to start with in production.
 */
@ApiExcludeController()
@Controller('dev')
export class DevController {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  @Get('demo-tokens')
  @Public()
  async demoTokens(): Promise<unknown> {
    if (!this.config.devTokensFile) fail('NOT_FOUND', 'Cannot GET /dev/demo-tokens');
    try {
      return JSON.parse(await fs.readFile(this.config.devTokensFile, 'utf8'));
    } catch {
      fail('NOT_FOUND', 'No demo tokens yet.');
    }
  }
}
