// Outbound messages to people and systems: Slack chat, email, signed webhooks. Used by the activities
// (sending) and the gateway (verifying Slack's requests, answering clicks). May import domain only.
export * from './settings';
export * from './webhook-signature';
export * from './message-content';
export * from './slack-client';
export * from './slack-messages';
export * from './slack-signature';
export * from './email';
export * from './outbound';
