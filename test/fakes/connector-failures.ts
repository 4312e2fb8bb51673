/** Assertions on what connectors throw: Temporal `ApplicationFailure`s typed by what a retry can do. */
import { ApplicationFailure } from '@temporalio/common';

/** The failure `work` rejects with; fails the test when it resolves or throws anything else. */
export async function failureOf(work: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await work;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw new Error(
      `expected an ApplicationFailure, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
    );
  }
  throw new Error('expected an ApplicationFailure, but the call succeeded');
}

/** The next retry delay in milliseconds, as the connector set it. */
export function nextRetryDelayMs(failure: ApplicationFailure): number | undefined {
  const delay = failure.nextRetryDelay;
  return typeof delay === 'number' ? delay : undefined;
}
