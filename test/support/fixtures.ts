/** Test data builders: every call makes fresh, unique ids so tests never share state. */
import type { App, TicketChange, TicketWorkflowInput } from '@gatehouse/domain';
import { uniqueId } from './harness';

export function testApp(overrides: Omit<Partial<App>, 'policy'> & { policy?: Partial<App['policy']> } = {}): App {
  const { policy, ...rest } = overrides;
  return {
    id: uniqueId('app-'),
    name: 'Test App',
    connector: { type: 'demo', config: {} },
    entitlements: [
      { id: 'engineering', kind: 'group', name: 'engineering' },
      { id: 'admin-role', kind: 'role', name: 'Admin' },
      {
        id: 'ticketed',
        kind: 'permission',
        name: 'Ticketed',
        fields: [{ key: 'jira', label: 'Jira ticket', type: 'string', required: true, pattern: '^[A-Z]+-[0-9]+$' }],
      },
    ],
    licenses: [],
    ...rest,
    policy: {
      approval: { steps: [{ name: 'Lead', approvers: ['user:carol', 'group:it-admins'], minApprovals: 1 }] },
      ...policy,
    },
  };
}

export function change(
  app: App,
  entitlementId: string,
  op: 'add' | 'remove' = 'add',
  fields: TicketChange['fields'] = {},
): TicketChange {
  const e = app.entitlements.find((x) => x.id === entitlementId)!;
  return { op, entitlement: { id: e.id, name: e.name, kind: e.kind }, fields };
}

let counter = Math.floor(Math.random() * 1_000_000_000);
export function ticketId(): string {
  counter += 1;
  return `TCK-${counter}`;
}

export function workflowInput(app: App, overrides: Partial<TicketWorkflowInput> = {}): TicketWorkflowInput {
  const requester = overrides.requester ?? { id: uniqueId('alice-'), name: 'Alice' };
  return {
    schema: 1,
    ticketId: ticketId(),
    type: 'request',
    action: 'add',
    requester,
    beneficiary: requester,
    app: { id: app.id, name: app.name },
    changes: [change(app, 'engineering')],
    duration: { type: 'indefinite' },
    reason: 'testing',
    policy: app.policy,
    createdAt: new Date().toISOString(),
    parentTicketId: null,
    createdBy: { id: requester.id },
    ...overrides,
  };
}

export const carol = { id: 'carol', roles: [], groups: [] };
export const dave = { id: 'dave', roles: [], groups: ['it-admins'] };
export const mallory = { id: 'mallory', roles: [], groups: ['sales'] };
export const admin = { id: 'root', roles: ['admin'], groups: [] };
