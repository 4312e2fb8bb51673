/**
 * Extensions and re-raises, as child workflows of the ticket that owns the access (one tree per access in
 * the UI). Owner side: Updates `requestExtension` (active limited access) and `requestReraise` (expired
 * access, during its re-raise window) start the child; an approved extension child signals
 * `extensionApproved`, the owner moves its end and answers `extensionApplied`. Extension side: once
 * approved, the child asks the owner and waits for the answer, or for `accessEnded` (the access ended
 * first: a still-pending extension rejects itself).
 */
import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { endsByItself, isLimited, recordRejection, type TicketWorkflowInput } from '@gatehouse/domain';
import {
  extensionAppliedSignal,
  extensionApprovedSignal,
  RERAISE_WINDOW_CLOSED,
  TICKET_WORKFLOW_TYPE,
  ticketWorkflowStartOptions,
} from './definitions';
import type { AccessPeriod } from './access-period';
import { nowIso, refuse, SYSTEM, type TicketRun } from './ticket-run';

type Answer = { applied: boolean; end: string };

export class Extensions {
  /** Extension child only: the owner's answer, or the news that the access ended. */
  private answer: Answer | null = null;
  private accessEnded: 'expired' | 'revoked' | null = null;

  constructor(
    private readonly run: TicketRun,
    private readonly period: AccessPeriod,
  ) {}

  // ── Owner side ──

  validateExtensionRequest(): void {
    const { run } = this;
    const { state } = run;
    if (state.access.state !== 'active' || !endsByItself(state.duration) || run.input.type === 'extend') {
      refuse(
        'ACCESS_NOT_ACTIVE',
        `The access of ${run.ticketId} is ${state.access.state}${endsByItself(state.duration) ? '' : ' and not time-limited'}; only active limited access can be extended.`,
      );
    }
    if (run.revokeRequest || run.ending)
      refuse('ACCESS_ENDING', `The access of ${run.ticketId} is being revoked; it can no longer be extended.`);
  }

  async requestExtension(child: TicketWorkflowInput) {
    const { run } = this;
    await run.lock.runExclusive(async () => {
      this.validateExtensionRequest();
      run.pendingExtensions.add(child.ticketId);
      await this.startChildTicket(child);
    });
    await run.persisted();
    return run.state;
  }

  validateReraiseRequest(): void {
    const { run } = this;
    if (run.state.access.state !== 'expired')
      refuse('ACCESS_NOT_EXPIRED', `The access of ${run.ticketId} is ${run.state.access.state}, not expired.`);
    if (run.lingerUntil === null || Date.now() >= run.lingerUntil) {
      throw ApplicationFailure.create({
        type: RERAISE_WINDOW_CLOSED,
        message: 'the re-raise window of this access has closed',
        nonRetryable: true,
      });
    }
  }

  async requestReraise(child: TicketWorkflowInput) {
    const { run } = this;
    await run.lock.runExclusive(async () => {
      this.validateReraiseRequest();
      await this.startChildTicket(child);
    });
    await run.persisted();
    return run.state;
  }

  /** An extension child was approved: move the end if the access can still take it, and answer the child. */
  extensionApproved({ ticketId, end }: { ticketId: string; end: string }): Promise<void> {
    const { run } = this;
    return run.lock.runExclusive(() => {
      run.pendingExtensions.delete(ticketId);
      const answer = this.period.moveEnd(ticketId, end);
      run.answers.push({ ticketId, ...answer });
    });
  }

  /** Sends the owner's answers to extension children, in order. */
  async answerLoop(): Promise<never> {
    const { answers } = this.run;
    for (;;) {
      await condition(() => answers.length > 0);
      const a = answers[0];
      try {
        await getExternalWorkflowHandle(a.ticketId).signal(extensionAppliedSignal, { applied: a.applied, end: a.end });
      } catch {
        // the child is gone (terminated by an operator): nothing to tell
      }
      answers.shift();
    }
  }

  private async startChildTicket(child: TicketWorkflowInput): Promise<void> {
    const { run } = this;
    try {
      await startChild(TICKET_WORKFLOW_TYPE, {
        ...ticketWorkflowStartOptions(child, workflowInfo().taskQueue),
        // The child outlives this run (continue-as-new, expiry): it finishes its own story.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // a retried request: already running
    }
    if (!run.state.childTicketIds.includes(child.ticketId)) {
      run.state.childTicketIds.push(child.ticketId);
      run.changed();
    }
  }

  // ── Extension side ──

  extensionApplied(answer: Answer): void {
    this.answer = answer;
  }

  /** The owner's access ended before this extension was applied: a still-pending extension rejects itself. */
  accessEndedFirst({ reason }: { reason: 'expired' | 'revoked' }): Promise<void> {
    const { run } = this;
    return run.lock.runExclusive(() => {
      this.accessEnded = reason;
      if (run.state.status !== 'pending') return;
      run.state.approval = recordRejection(run.state.approval);
      run.log('rejected', SYSTEM, `The access was ${reason} before this extension was decided.`, {
        reason: 'access_ended',
      });
      run.resolve('rejected');
      run.changed();
    });
  }

  /** Approved extension: ask the owner to move its end, and wait for its answer. */
  async applyExtension(): Promise<void> {
    const { run } = this;
    const { input } = run;
    const duration = run.state.duration;
    if (!isLimited(duration) || !input.parentTicketId) return;
    run.setAccess('applying', { start: duration.start, end: duration.end });
    run.changed();
    try {
      await getExternalWorkflowHandle(input.parentTicketId).signal(extensionApprovedSignal, {
        ticketId: input.ticketId,
        end: duration.end,
      });
      await condition(() => this.answer !== null || this.accessEnded !== null);
    } catch {
      this.accessEnded = 'expired'; // the owner's workflow has completed: its access is over
    }
    const answer = this.answer as Answer | null;
    if (answer?.applied) {
      run.setAccess('active', { grantedAt: nowIso(), end: answer.end });
      run.log('extended', SYSTEM, null, { parentTicketId: input.parentTicketId, end: answer.end });
    } else {
      run.setAccess('none', { error: 'The access ended before this extension could be applied.' });
    }
    run.changed();
  }
}
