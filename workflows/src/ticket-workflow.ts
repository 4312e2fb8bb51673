/**
 * The ticket workflow: one per ticket, workflow id = ticket id. This file wires the messages and tells
 * the story; each phase lives in its own file.
 *
 *   pending ──approve (every step)──▶ approved ──▶ [scheduled until start] ──▶ applying ──▶ active
 *      │                                                                    │        └─▶ removed (pure remove)
 *      ├─reject / pending timeout──▶ rejected                               └─▶ failed ──retry──▶ applying
 *      └─cancel──▶ cancelled                                                          └─revoke──▶ revoked
 *   active (limited) ──timer at end──▶ expired ──(re-raise window)──▶ done      active ──revoke──▶ revoked
 *
 *   ticket-run.ts          state, version, read model and event outbox, the lock, continue-as-new
 *   decisions.ts           pending → decided: approve / reject / cancel, the pending timeout
 *   provisioning.ts        decided → active: scheduled start, apply, failed and retry
 *   access-period.ts       active → ended: the movable end, revoke, expiry, the re-raise window
 *   extensions.ts          extension and re-raise children, on the owner's side and the child's
 *   notification-timers.ts reminders, escalations and the expiry notice
 *   break-glass.ts         break-glass tickets: approved at start, then the post-hoc review and its escalation
 *   retry-policies.ts      every activity the workflow calls, with its named retry policy
 *
 * A leaver's offboarding cancels, revokes and takes them out of pending steps (Update `removeApprover`).
 *
 * Every Update has a validator, so an ineligible caller is refused before anything enters history, and
 * every state-changing handler runs under the run's lock, re-validating inside it.
 */
import { setHandler } from '@temporalio/workflow';
import type { TicketState, TicketWorkflowInput } from '@gatehouse/domain';
import {
  accessEndedSignal,
  approveTicketUpdate,
  cancelTicketUpdate,
  extensionAppliedSignal,
  extensionApprovedSignal,
  rejectTicketUpdate,
  removeApproverUpdate,
  requestExtensionUpdate,
  requestReraiseUpdate,
  retryApplyUpdate,
  reviewBreakGlassUpdate,
  revokeAccessUpdate,
  ticketStateQuery,
  PATCHES,
} from './definitions';
import { AccessPeriod } from './access-period';
import { BreakGlass } from './break-glass';
import { Decisions } from './decisions';
import { Extensions } from './extensions';
import { ticketCreated } from './metrics';
import { Provisioning } from './provisioning';
import { refuse, SYSTEM, TicketRun } from './ticket-run';

/** A review sent to a ticket that was not raised as break-glass. */
function refuseReview(ticketId: string): never {
  refuse('REVIEW_NOT_PENDING', `Ticket ${ticketId} is not a break-glass ticket awaiting review.`);
}

export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketState> {
  const run = new TicketRun(input);
  const decisions = new Decisions(run);
  const period = new AccessPeriod(run);
  const provisioning = new Provisioning(run, period);
  const extensions = new Extensions(run, period);
  // Only break-glass tickets ask: histories of other tickets replay without the patch's marker.
  const breakGlass = input.breakGlass && run.patched(PATCHES.breakGlass) ? new BreakGlass(run) : null;

  // ── Messages ──
  setHandler(ticketStateQuery, () => run.state);
  setHandler(approveTicketUpdate, (d) => decisions.approve(d), { validator: (d) => decisions.validateApprove(d) });
  setHandler(rejectTicketUpdate, (d) => decisions.reject(d), { validator: (d) => decisions.validateReject(d) });
  setHandler(cancelTicketUpdate, (r) => decisions.cancel(r), { validator: (r) => decisions.validateCancel(r) });
  setHandler(removeApproverUpdate, (r) => decisions.removeApprover(r), {
    validator: (r) => decisions.validateRemoveApprover(r),
  });
  setHandler(revokeAccessUpdate, (r) => period.revoke(r), { validator: (r) => period.validateRevoke(r) });
  setHandler(retryApplyUpdate, (r) => provisioning.retry(r), { validator: (r) => provisioning.validateRetry(r) });
  setHandler(requestExtensionUpdate, (child) => extensions.requestExtension(child), {
    validator: (_child) => extensions.validateExtensionRequest(),
  });
  setHandler(requestReraiseUpdate, (child) => extensions.requestReraise(child), {
    validator: (_child) => extensions.validateReraiseRequest(),
  });
  setHandler(extensionApprovedSignal, (s) => extensions.extensionApproved(s));
  setHandler(extensionAppliedSignal, (a) => extensions.extensionApplied(a));
  setHandler(accessEndedSignal, (s) => extensions.accessEndedFirst(s));
  setHandler(reviewBreakGlassUpdate, (r) => (breakGlass ? breakGlass.reviewed(r) : refuseReview(input.ticketId)), {
    validator: (r) => (breakGlass ? breakGlass.validateReview(r) : refuseReview(input.ticketId)),
  });

  // ── Continued as new: back to the phase the previous run was in ──
  const resume = input.resume;
  if (resume) {
    run.startWriters();
    void extensions.answerLoop();
    run.changed(); // records this run's id in the read model
    const review = breakGlass?.awaitReview();
    if (resume.phase === 'active') await period.active();
    else await period.linger(run.lingerUntil ?? Date.now());
    await review;
    return run.finish();
  }

  // ── Pending → decided ──
  run.startWriters();
  ticketCreated(input);
  if (breakGlass) breakGlass.grant();
  else if (
    run.state.approval.steps.length === 0 &&
    (!decisions.takesSeatsAtCreate() || (await decisions.approvedAtCreate()))
  ) {
    // The gateway decided an AutoApprove at create and gave the ticket no steps; histories without it replay as before.
    const auto = input.autoApproval;
    if (auto) run.log('auto_approved', SYSTEM, auto.reason, { policies: auto.policies });
    else run.log('approved', SYSTEM, 'The policy requires no approval.');
    run.resolve('approved');
  }
  run.changed(); // the first version: `created` (and the policy's own approval) become its first events
  if ((await decisions.decided()) === false) await decisions.timedOut();

  // ── Decided → active → ended (a break-glass review runs beside it, and is waited for) ──
  const review = breakGlass?.awaitReview();
  void extensions.answerLoop();
  if (run.state.status === 'approved') {
    if (input.type === 'extend') await extensions.applyExtension();
    else await provisioning.provision();
  }
  await review;
  return run.finish();
}
