/**
 * Short workflows through which the gateway reaches an app's target application (it holds no
 * credentials and never imports connectors): a connection check, the drift report (also run by a
 * Temporal Schedule per app), and re-applying one grant that the target lost.
 */
import { proxyActivities } from '@temporalio/workflow';
import type {
  CheckConnectionResult,
  ComputeDriftResult,
  ConnectorActivities,
  ReapplyGrantInput,
  ReapplyGrantResult,
} from '@gatehouse/domain';

// Someone waits on a check: one attempt (a connector's check answers `ok: false` rather than throwing).
const { checkConnection } = proxyActivities<ConnectorActivities>({
  startToCloseTimeout: '45 seconds',
  retry: { maximumAttempts: 1 },
});

const { computeDrift } = proxyActivities<ConnectorActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 4 },
});

const { reapplyGrant } = proxyActivities<ConnectorActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 3 },
});

export async function checkConnectionWorkflow(appId: string): Promise<CheckConnectionResult> {
  return checkConnection({ appId });
}

export async function driftReportWorkflow(appId: string): Promise<ComputeDriftResult> {
  return computeDrift({ appId });
}

export async function reapplyGrantWorkflow(input: ReapplyGrantInput): Promise<ReapplyGrantResult> {
  return reapplyGrant(input);
}
