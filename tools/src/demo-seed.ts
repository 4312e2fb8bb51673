/**
 * The demo of `npm run dev`: three apps modelled on GitHub, Slack and Salesforce (all on the `demo`
 * connector, so access is real without a SaaS account) and five people to play the roles.
 */
import type { App } from '@gatehouse/domain';
import type { TokenClaims } from './tokens';

export const DEMO_USERS = {
  alice: { sub: 'alice', name: 'Alice Anders', email: 'alice@example.com', roles: [], groups: ['engineering'] },
  bob: { sub: 'bob', name: 'Bob Brown', email: 'bob@example.com', roles: [], groups: ['sales'] },
  carol: { sub: 'carol', name: 'Carol Chen', email: 'carol@example.com', roles: [], groups: ['engineering-leads'] },
  dave: { sub: 'dave', name: 'Dave Diaz', email: 'dave@example.com', roles: [], groups: ['security', 'it-admins'] },
  admin: { sub: 'admin', name: 'Ada Admin', email: 'admin@example.com', roles: ['admin'], groups: ['it-admins'] },
} satisfies Record<string, TokenClaims>;

export const DEMO_ROLES: Record<keyof typeof DEMO_USERS, string> = {
  alice: 'requester',
  bob: 'requester (sales)',
  carol: 'approver: engineering lead',
  dave: 'approver: security / IT',
  admin: 'admin',
};

const DAY = 86400;

export const DEMO_APPS: App[] = [
  {
    id: 'github',
    name: 'GitHub',
    connector: { type: 'demo', config: {} },
    entitlements: [
      {
        id: 'engineering-team',
        kind: 'group',
        name: 'engineering-team',
        description: 'Every engineer: read access to all repositories',
      },
      {
        id: 'platform-maintainers',
        kind: 'group',
        name: 'platform-maintainers',
        description: 'Write access to the platform repositories',
      },
      {
        id: 'repo-admin',
        kind: 'role',
        name: 'Repository admin',
        description: 'Admin on a repository, for migrations and settings changes',
        fields: [{ key: 'jira', label: 'Jira ticket', type: 'string', required: true, pattern: '^[A-Z]+-[0-9]+$' }],
      },
    ],
    licenses: [],
    policy: {
      maxDurationSeconds: 30 * DAY,
      allowIndefinite: false,
      requireReason: true,
      approval: { steps: [{ name: 'Engineering lead', approvers: ['user:carol', 'role:admin'], minApprovals: 1 }] },
      pendingTimeoutSeconds: 7 * DAY,
    },
  },
  {
    id: 'slack',
    name: 'Slack',
    connector: { type: 'demo', config: {} },
    entitlements: [
      { id: 'oncall', kind: 'group', name: '@oncall', description: 'The on-call user group: paged for incidents' },
      {
        id: 'incident-response',
        kind: 'permission',
        name: '#incident-response',
        description: 'The private incident channel',
      },
    ],
    licenses: [],
    policy: {
      requireReason: true,
      approval: {
        steps: [
          { name: 'Team lead', approvers: ['user:carol'], minApprovals: 1 },
          { name: 'Security', approvers: ['group:security', 'role:admin'], minApprovals: 1 },
        ],
      },
    },
  },
  {
    id: 'salesforce',
    name: 'Salesforce',
    connector: { type: 'demo', config: {} },
    entitlements: [
      {
        id: 'sales-manager',
        kind: 'role',
        name: 'Sales Manager',
        description: 'Manages a sales team and its pipeline',
        licenseId: 'sf-seat',
      },
      { id: 'sales-rep', kind: 'role', name: 'Sales Rep', licenseId: 'sf-seat' },
      {
        id: 'reports-export',
        kind: 'permission',
        name: 'Reports Export',
        description: 'Permission set: export reports',
        fields: [{ key: 'region', label: 'Region', type: 'enum', options: ['emea', 'amer', 'apac'], required: true }],
      },
    ],
    licenses: [{ id: 'sf-seat', name: 'Salesforce seat', seats: 3 }],
    policy: {
      maxDurationSeconds: 90 * DAY,
      requireReason: false,
      approval: { steps: [{ name: 'IT', approvers: ['group:it-admins'], minApprovals: 1 }] },
    },
  },
];
