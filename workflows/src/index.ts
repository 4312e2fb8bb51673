// Clients import this: definitions and types only, never the workflow code.
export * from './definitions';
export type { ticketWorkflow } from './ticket-workflow';
