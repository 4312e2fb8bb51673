/**
 * Starts the read-model rebuild (docs/operations.md, "Rebuilding the read model") as a maintenance
 * workflow on the workers, and reads its progress: a query while it runs, its result once it completed.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ReindexProgress } from '@gatehouse/domain';
import {
  REINDEX_WORKFLOW_ID_PREFIX,
  REINDEX_WORKFLOW_TYPE,
  reindexProgressQuery,
  taskQueueNames,
  type reindexWorkflow,
} from '@gatehouse/workflows';
import type { GatewayConfig } from '../config';
import { TemporalService } from '../temporal/temporal.service';
import { GATEWAY_CONFIG } from '../tokens';

const START_DEADLINE_MS = 5_000;
/** The ids `start` makes: anything else is no rebuild, and is never sent to Temporal. */
const REINDEX_ID = new RegExp(
  `^${REINDEX_WORKFLOW_ID_PREFIX}[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`,
);
const READ_DEADLINE_MS = 10_000;

export type ReindexRunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out';

export interface ReindexRun {
  id: string;
  status: ReindexRunStatus;
  startedAt: string;
  closedAt: string | null;
  /** Null while no worker has answered the progress query yet, or when the rebuild did not complete. */
  progress: ReindexProgress | null;
}

const STATUSES: Record<string, ReindexRunStatus> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  // Only a run in the middle of continuing as new is described so; the next one carries on.
  CONTINUED_AS_NEW: 'running',
};

@Injectable()
export class ReindexService {
  constructor(
    private readonly temporal: TemporalService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Starts a rebuild of the ticket workflows on this deployment's task queue; returns its id. */
  async start(): Promise<string> {
    const workflowId = `${REINDEX_WORKFLOW_ID_PREFIX}${randomUUID()}`;
    await this.temporal.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      this.temporal.client.workflow.start<typeof reindexWorkflow>(REINDEX_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: taskQueueNames(this.config.taskQueue).maintenance,
        args: [{ ticketTaskQueue: this.config.taskQueue, ticketNumberStart: this.config.ticketNumberStart }],
        staticSummary: `Read-model rebuild from the ticket workflows of ${this.config.taskQueue}`,
      }),
    );
    return workflowId;
  }

  /** The rebuild with this id, or null when there is none. */
  async get(id: string): Promise<ReindexRun | null> {
    if (!REINDEX_ID.test(id)) return null;
    const handle = this.temporal.client.workflow.getHandle<typeof reindexWorkflow>(id);
    const read = <T>(call: () => Promise<T>) =>
      this.temporal.connection.withDeadline(Date.now() + READ_DEADLINE_MS, call);
    let description;
    try {
      description = await read(() => handle.describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
    if (description.type !== REINDEX_WORKFLOW_TYPE) return null;
    const status = STATUSES[description.status.name] ?? 'failed';
    let progress: ReindexProgress | null = null;
    if (status === 'completed') progress = await read(() => handle.result());
    if (status === 'running') {
      // Answered by a worker: none may have picked the workflow up yet.
      progress = await read(() => handle.query(reindexProgressQuery)).catch(() => null);
    }
    return {
      id,
      status,
      startedAt: description.startTime.toISOString(),
      closedAt: description.closeTime?.toISOString() ?? null,
      progress,
    };
  }
}
