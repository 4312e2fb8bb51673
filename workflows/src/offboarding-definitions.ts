/**
 * What the leaver workflow exposes to clients: its type, id, start options and progress query. Safe to
 * import anywhere (the gateway starts it when the directory deactivates someone).
 */
import { defineQuery } from '@temporalio/workflow';
import {
  OFFBOARDING_WORKFLOW_TYPE,
  offboardingWorkflowId,
  type OffboardingProgress,
  type OffboardingResult,
} from '@gatehouse/domain';

export { OFFBOARDING_WORKFLOW_TYPE, offboardingWorkflowId };

export const offboardingProgressQuery = defineQuery<OffboardingProgress>('offboardingProgress');

export interface OffboardingWorkflowInput {
  userId: string;
  /** Carried into the next run when it continues as new. */
  resume?: { done: string[]; result: OffboardingResult };
}

/**
 * How a leaver workflow is started: one per person at a time. A second start while one runs joins it
 * (the directory may say "inactive" twice); once it has closed, a new one starts (left, came back, left again).
 */
export function offboardingStartOptions(userId: string, taskQueue: string) {
  return {
    workflowId: offboardingWorkflowId(userId),
    taskQueue,
    args: [{ userId }] as [OffboardingWorkflowInput],
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const,
    staticSummary: `Offboarding of ${userId}`,
  };
}
