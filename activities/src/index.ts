export * from './ticket-activities';
export * from './connector-activities';
