import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { TicketState, TicketWorkflowInput } from '@gatehouse/domain';
import { TICKET_WORKFLOW_TYPE, ticketWorkflowStartOptions, type ticketWorkflow } from '@gatehouse/workflows';
import type { UpdateDefinition } from '@temporalio/common';
import { GATEWAY_CONFIG } from '../tokens';
import type { GatewayConfig } from '../config';
import { GatewayMetrics, type TicketCounts } from '../observability/metrics';
import { markTicket, tracingClientInterceptors } from '../observability/tracing';

/** The gateway's only door to Temporal: starts ticket workflows and sends them decisions as Updates. */
@Injectable()
export class TemporalService implements OnApplicationShutdown {
  readonly connection: Connection;
  readonly client: Client;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
  ) {
    // Lazy: the gateway boots (and answers 503) even while Temporal is down.
    this.connection = Connection.lazy({ address: config.temporalAddress });
    this.client = new Client({
      connection: this.connection,
      namespace: config.temporalNamespace,
      interceptors: { workflow: config.tracing ? tracingClientInterceptors() : [] },
    });
  }

  /** Starts a ticket's workflow; a second start of the same ticket is a no-op. Returns the run id. */
  async startTicket(input: TicketWorkflowInput): Promise<string | null> {
    markTicket(input.ticketId);
    try {
      // A deadline, so an unreachable Temporal answers 503 promptly instead of after the client's retries.
      const handle = await this.metrics.timeTemporal('start', TICKET_WORKFLOW_TYPE, () =>
        this.connection.withDeadline(Date.now() + this.config.temporalDeadlines.startMs, () =>
          this.client.workflow.start<typeof ticketWorkflow>(
            TICKET_WORKFLOW_TYPE,
            ticketWorkflowStartOptions(input, this.config.taskQueue),
          ),
        ),
      );
      return handle.firstExecutionRunId;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return null;
      throw err;
    }
  }

  async update<Args extends [unknown, ...unknown[]]>(
    ticketId: string,
    def: UpdateDefinition<TicketState, Args>,
    args: Args,
    updateId?: string,
  ): Promise<TicketState> {
    markTicket(ticketId);
    const handle = this.client.workflow.getHandle(ticketId);
    return this.metrics.timeTemporal('update', def.name, () =>
      this.connection.withDeadline(Date.now() + this.config.temporalDeadlines.updateMs, () =>
        handle.executeUpdate(def, { args, ...(updateId ? { updateId } : {}) }),
      ),
    );
  }

  /** Running ticket workflows pending a decision, and with failed access, as Temporal's visibility counts them. */
  async countTickets(): Promise<TicketCounts> {
    const running = `WorkflowType = "${TICKET_WORKFLOW_TYPE}" AND ExecutionStatus = "Running"`;
    const count = (where: string) =>
      this.connection.withDeadline(Date.now() + 2000, () => this.client.workflow.count(`${running} AND ${where}`));
    const [pending, failed] = await Promise.all([count('TicketStatus = "pending"'), count('AccessState = "failed"')]);
    return { pending: pending.count, failed: failed.count };
  }

  async healthy(): Promise<boolean> {
    try {
      await this.connection.withDeadline(Date.now() + 2000, () => this.connection.workflowService.getSystemInfo({}));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Nest calls this after the HTTP server has drained, so a request still in flight when the shutdown
   * began (or a Slack click being decided) still reaches Temporal; `onModuleDestroy` runs before that.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}
