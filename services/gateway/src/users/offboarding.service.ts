import { Inject, Injectable } from '@nestjs/common';
import {
  OFFBOARDING_WORKFLOW_TYPE,
  offboardingStartOptions,
  taskQueueNames,
  type offboardingWorkflow,
} from '@gatehouse/workflows';
import type { GatewayConfig } from '../config';
import { TemporalService } from '../temporal/temporal.service';
import { GATEWAY_CONFIG } from '../tokens';

const START_DEADLINE_MS = 5_000;

/**
 * Starts the leaver workflow for a user the directory deactivated or deleted (SCIM, or
 * `PUT /users/:id {active:false}`), on the maintenance queue. Starting it twice for the same leaver is
 * harmless: a start while one runs joins it (workflow id `offboard-<userId>`); once it has finished, a new
 * one runs (the person came back and left again). Its progress shows on `GET /users/:id`.
 */
@Injectable()
export class OffboardingService {
  constructor(
    private readonly temporal: TemporalService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async start(userId: string): Promise<void> {
    const queue = taskQueueNames(this.config.taskQueue).maintenance;
    await this.temporal.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      this.temporal.client.workflow.start<typeof offboardingWorkflow>(
        OFFBOARDING_WORKFLOW_TYPE,
        offboardingStartOptions(userId, queue),
      ),
    );
  }
}
