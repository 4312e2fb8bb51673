/**
 * What the connector workflows expose to clients: their names, ids and timeouts. Safe to import
 * anywhere: the gateway runs these workflows to reach a target application, since only workers hold
 * the targets' credentials.
 */
export const CHECK_CONNECTION_WORKFLOW_TYPE = 'checkConnectionWorkflow';
export const DRIFT_REPORT_WORKFLOW_TYPE = 'driftReportWorkflow';
export const REAPPLY_GRANT_WORKFLOW_TYPE = 'reapplyGrantWorkflow';

/** Run timeouts the gateway sets: a check answers within a minute, a drift report within ten. */
export const CONNECTOR_WORKFLOW_TIMEOUTS = {
  checkConnection: '1 minute',
  driftReport: '10 minutes',
  reapplyGrant: '3 minutes',
} as const;

/** The Temporal Schedule that runs an app's drift report: one per app. */
export const driftScheduleId = (appId: string) => `drift-${appId}`;
/** How often an app's drift report runs unless configured otherwise. */
export const DEFAULT_DRIFT_INTERVAL = '1 hour';
