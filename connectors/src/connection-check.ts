import { ApplicationFailure } from '@temporalio/common';
import type { ConnectionCheck } from './connector';

/**
 * Runs a connector's probe and reports it as a `ConnectionCheck`: a health check answers, it does not
 * throw, whether the token is wrong, the variable holding it is unset or the target is down.
 */
export async function checkedConnection(probe: () => Promise<string>): Promise<ConnectionCheck> {
  try {
    return { ok: true, message: await probe() };
  } catch (err) {
    if (err instanceof ApplicationFailure) return { ok: false, message: err.message };
    return { ok: false, message: `connection check failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
