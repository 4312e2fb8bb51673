/**
 * Which consolidating patch a run recorded (definitions.ts, `CONSOLIDATIONS`): asked first in every run,
 * by the tracing interceptor, so that it is the run's first patch marker, and its only one in a new run.
 */
import { patched } from '@temporalio/workflow';
import { CONSOLIDATIONS } from './definitions';

/** The patches in effect without markers of their own in this run; empty in a run started before any consolidation. */
export function consolidatedPatches(): ReadonlySet<string> {
  for (const { id, patches } of CONSOLIDATIONS) if (patched(id)) return patches;
  return new Set();
}
