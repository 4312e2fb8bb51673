// Entry point of the workflow bundle: every workflow function the worker registers.
export { ticketWorkflow } from './ticket-workflow';
export { checkConnectionWorkflow, driftReportWorkflow, reapplyGrantWorkflow } from './connector-workflows';
export { notifyWorkflow } from './notify-workflows';
export { webhookDeliveryWorkflow } from './webhook-delivery-workflow';
export { reindexWorkflow } from './reindex-workflow';
export { offboardingWorkflow } from './offboarding-workflow';
