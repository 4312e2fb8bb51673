// Clients import this: definitions and types only, never the workflow code.
export * from './definitions';
export type { ticketWorkflow } from './ticket-workflow';
export * from './connector-definitions';
export type { checkConnectionWorkflow, driftReportWorkflow, reapplyGrantWorkflow } from './connector-workflows';
export type { notifyWorkflow, NotifyResult } from './notify-workflows';
export type { webhookDeliveryWorkflow } from './webhook-delivery-workflow';
export * from './reindex-definitions';
export type { reindexWorkflow } from './reindex-workflow';
export * from './offboarding-definitions';
export type { offboardingWorkflow } from './offboarding-workflow';
