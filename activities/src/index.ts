export * from './ticket-activities';
export * from './connector-activities';
export * from './targets';
export * from './notification-activities';
export * from './webhook-activities';
export * from './channels';
export * from './reindex-activities';
export * from './offboarding-activities';
