/**
 * A leaver's offboarding: one workflow per person (`offboard-<userId>`, on the maintenance queue), started
 * by the gateway when the directory deactivates them. It asks the read model which tickets may still
 * involve them, then ends each through that ticket's own workflow (one activity per ticket, all at once):
 * access revoked, open tickets of theirs cancelled, their name taken out of other tickets' pending steps.
 * It plans again until a plan finds nothing new, so a ticket that was being granted or raised meanwhile
 * is not missed. Its progress (`state`, `remaining`) is kept on the user for `GET /users/:id`, and is a query.
 */
import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { OffboardingActivities, OffboardingProgress, OffboardingResult } from '@gatehouse/domain';
import { offboardingProgressQuery, type OffboardingWorkflowInput } from './offboarding-definitions';

// Reading the read model: retried until MongoDB answers.
const { planOffboarding, recordOffboardingProgress } = proxyActivities<OffboardingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// A revoke answers once the target has let go, which may take as long as the target fails: retried
// without a limit, heartbeating while it waits, so a lost worker is noticed in seconds.
const { offboardTicket } = proxyActivities<OffboardingActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Past this history length the workflow continues as new between rounds (a person with very many tickets). */
const CONTINUE_AS_NEW_AFTER_EVENTS = 5_000;

export async function offboardingWorkflow(input: OffboardingWorkflowInput): Promise<OffboardingResult> {
  const { userId } = input;
  const done = new Set(input.resume?.done ?? []);
  const result: OffboardingResult = input.resume?.result ?? { userId, revoked: 0, cancelled: 0, approverRemoved: 0 };
  const progress: OffboardingProgress = { state: 'running', remaining: 0 };
  setHandler(offboardingProgressQuery, () => ({ ...progress }));

  // One writer keeps the stored progress at the newest value (changes while it writes coalesce).
  let stored: string | null = null;
  const current = () => `${progress.state}:${progress.remaining}`;
  void (async () => {
    for (;;) {
      await condition(() => stored !== current());
      const writing = current();
      await recordOffboardingProgress({ userId, progress: { ...progress } });
      stored = writing;
    }
  })();

  for (;;) {
    const plan = (await planOffboarding({ userId })).filter((id) => !done.has(id));
    if (!plan.length) break;
    progress.remaining = plan.length;
    await Promise.all(
      plan.map(async (ticketId) => {
        const outcome = await offboardTicket({ userId, ticketId });
        if (outcome === 'revoked') result.revoked++;
        if (outcome === 'cancelled') result.cancelled++;
        if (outcome === 'approver_removed') result.approverRemoved++;
        done.add(ticketId);
        progress.remaining--;
      }),
    );
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= CONTINUE_AS_NEW_AFTER_EVENTS) {
      await condition(() => stored === current());
      await continueAsNew<typeof offboardingWorkflow>({ userId, resume: { done: [...done], result } });
    }
  }
  progress.state = 'done';
  progress.remaining = 0;
  await condition(() => stored === current());
  return result;
}
