/**
 * The gateway's side of an app's target application. The gateway holds no credentials and never
 * imports connectors: it runs short workflows on the workers' task queues (a connection check and a drift
 * report on the maintenance queue; re-applying a grant, an access change, on the ticket queue), and keeps
 * one Temporal Schedule per app that runs its drift report.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowFailedError,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import { ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import type {
  CheckConnectionResult,
  ComputeDriftResult,
  ReapplyGrantInput,
  ReapplyGrantResult,
} from '@gatehouse/domain';
import {
  CHECK_CONNECTION_WORKFLOW_TYPE,
  CONNECTOR_WORKFLOW_TIMEOUTS,
  DEFAULT_DRIFT_INTERVAL,
  DRIFT_REPORT_WORKFLOW_TYPE,
  REAPPLY_GRANT_WORKFLOW_TYPE,
  driftScheduleId,
  taskQueueNames,
  type checkConnectionWorkflow,
  type driftReportWorkflow,
  type reapplyGrantWorkflow,
} from '@gatehouse/workflows';
import type { GatewayConfig } from '../config';
import { TemporalService } from '../temporal/temporal.service';
import { GATEWAY_CONFIG } from '../tokens';

/** How long creating or updating a schedule may take before the PUT gives up (503). */
const SCHEDULE_RPC_DEADLINE_MS = 10_000;

/** A connector workflow that failed: the failure type (a connector failure code) and its message, never a secret. */
export class ConnectorWorkflowError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
  }
}

/** The innermost ApplicationFailure (or timeout) of a failed workflow: workflow → activity → application failure. */
function failureOf(err: WorkflowFailedError): ConnectorWorkflowError {
  let cause: unknown = err.cause;
  while (cause instanceof Error) {
    if (cause instanceof ApplicationFailure && cause.type) return new ConnectorWorkflowError(cause.type, cause.message);
    if (cause instanceof TimeoutFailure)
      return new ConnectorWorkflowError('TIMEOUT', 'No worker answered in time.', true);
    cause = (cause as { cause?: unknown }).cause;
  }
  return new ConnectorWorkflowError('CONNECTOR_FAILED', err.message);
}

@Injectable()
export class DriftService {
  private readonly logger = new Logger('drift');

  constructor(
    private readonly temporal: TemporalService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  private get queues() {
    return taskQueueNames(this.config.taskQueue);
  }

  private driftAction(appId: string): ScheduleOptionsStartWorkflowAction<typeof driftReportWorkflow> {
    return {
      type: 'startWorkflow',
      workflowType: DRIFT_REPORT_WORKFLOW_TYPE,
      args: [appId],
      taskQueue: this.queues.maintenance,
      workflowId: driftScheduleId(appId),
      workflowRunTimeout: CONNECTOR_WORKFLOW_TIMEOUTS.driftReport,
    };
  }

  /** Creates the app's drift schedule (every hour), or brings an existing one up to date. Idempotent. */
  async ensureSchedule(appId: string): Promise<void> {
    const client = this.temporal.client;
    const scheduleId = driftScheduleId(appId);
    const spec: ScheduleSpec = { intervals: [{ every: DEFAULT_DRIFT_INTERVAL }] };
    const policies: ScheduleOptions['policies'] = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' };
    const action = this.driftAction(appId);
    await this.temporal.connection.withDeadline(Date.now() + SCHEDULE_RPC_DEADLINE_MS, async () => {
      try {
        await client.schedule.create({
          scheduleId,
          spec,
          action,
          policies,
          state: { note: `Drift report of application ${appId}` },
        });
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        await client.schedule.getHandle(scheduleId).update((previous) => ({
          ...previous,
          spec,
          action,
          policies: { ...previous.policies, ...policies },
          state: { ...previous.state, note: `Drift report of application ${appId}` },
        }));
        this.logger.debug(`updated schedule ${scheduleId}`);
      }
    });
  }

  /** Deletes the app's drift schedule (with the app); gone already is fine. */
  async removeSchedule(appId: string): Promise<void> {
    await this.temporal.connection.withDeadline(Date.now() + SCHEDULE_RPC_DEADLINE_MS, async () => {
      try {
        await this.temporal.client.schedule.getHandle(driftScheduleId(appId)).delete();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    });
  }

  private async execute<T>(run: (workflowId: string) => Promise<T>, kind: string, appId: string): Promise<T> {
    try {
      return await run(`${kind}-${appId}-${randomUUID()}`);
    } catch (err) {
      if (err instanceof WorkflowFailedError) throw failureOf(err);
      throw err;
    }
  }

  checkConnection(appId: string): Promise<CheckConnectionResult> {
    return this.execute(
      (workflowId) =>
        this.temporal.client.workflow.execute<typeof checkConnectionWorkflow>(CHECK_CONNECTION_WORKFLOW_TYPE, {
          workflowId,
          taskQueue: this.queues.maintenance,
          args: [appId],
          workflowRunTimeout: CONNECTOR_WORKFLOW_TIMEOUTS.checkConnection,
        }),
      'connector-check',
      appId,
    );
  }

  runDrift(appId: string): Promise<ComputeDriftResult> {
    return this.execute(
      (workflowId) =>
        this.temporal.client.workflow.execute<typeof driftReportWorkflow>(DRIFT_REPORT_WORKFLOW_TYPE, {
          workflowId,
          taskQueue: this.queues.maintenance,
          args: [appId],
          workflowRunTimeout: CONNECTOR_WORKFLOW_TIMEOUTS.driftReport,
        }),
      'drift-run',
      appId,
    );
  }

  reapply(input: ReapplyGrantInput): Promise<ReapplyGrantResult> {
    return this.execute(
      (workflowId) =>
        this.temporal.client.workflow.execute<typeof reapplyGrantWorkflow>(REAPPLY_GRANT_WORKFLOW_TYPE, {
          workflowId,
          // An access change: it never waits behind drift reports.
          taskQueue: this.queues.tickets,
          args: [input],
          workflowRunTimeout: CONNECTOR_WORKFLOW_TIMEOUTS.reapplyGrant,
        }),
      'drift-reapply',
      input.appId,
    );
  }
}
