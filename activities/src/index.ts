export * from './ticket-activities';
