/**
 * Baseline workflows: the same Temporal work as a ticket, without Gatehouse. Bundled on its own
 * (bundleWorkflowCode) and run by its own Worker on its own task queue, so the benchmark can put
 * Gatehouse's numbers beside what the Temporal server and SDK cost by themselves.
 */
import { condition, defineUpdate, setHandler, sleep } from '@temporalio/workflow';

export const baselineApprove = defineUpdate<string, [string]>('approve');

/** Waits for one `approve` Update (like a pending ticket), then completes. */
export async function baselineWaiting(): Promise<string> {
  let approvedBy: string | null = null;
  setHandler(baselineApprove, (actor: string) => {
    approvedBy = actor;
    return 'approved';
  });
  await condition(() => approvedBy !== null);
  return approvedBy!;
}

/** Sleeps until `untilMs` (epoch ms), then completes with the workflow time it woke at. */
export async function baselineSleepUntil(untilMs: number): Promise<number> {
  const ms = untilMs - Date.now();
  if (ms > 0) await sleep(ms);
  return Date.now();
}
