// The admin console's calls for applications: the app as PUT /apps/:id takes it, its impact preview, its
// licenses' seat usage and the connection check. All over the public API (docs/api.md).
import type { GatehouseApi } from './client';

export const CONNECTOR_TYPES = ['demo', 'github', 'slack', 'salesforce', 'scim'] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];
export const ENTITLEMENT_KINDS = ['role', 'group', 'permission'] as const;
export type EntitlementKind = (typeof ENTITLEMENT_KINDS)[number];
export const FIELD_TYPES = ['string', 'number', 'boolean', 'enum'] as const;

export interface AppField {
  key: string;
  label: string;
  type: (typeof FIELD_TYPES)[number];
  required?: boolean;
  pattern?: string;
  options?: string[];
}

export interface AppStep {
  name: string;
  approvers: string[];
  minApprovals: number;
  remindAfterSeconds?: number;
  escalateAfterSeconds?: number;
  escalateTo?: string[];
}

export interface AppPolicy {
  maxDurationSeconds?: number;
  allowIndefinite?: boolean;
  requireReason?: boolean;
  approval: { steps: AppStep[] };
  pendingTimeoutSeconds?: number;
  reraiseWindowSeconds?: number;
  expiryNoticeSeconds?: number;
  extensions?: { max?: number; maxSecondsEach?: number; autoApproveWithinMax?: boolean };
  /** Absent: the gateway's PAGERDUTY_SCHEDULES entry for the app (an entitlement's: the app's). */
  onCall?: { schedules: string[] };
  /** Absent fields take the defaults: 4 hours, reviewed within 24 hours. */
  breakGlass?: { maxSeconds?: number; reviewWithinSeconds?: number };
}

export interface AppEntitlement {
  id: string;
  kind: EntitlementKind;
  name: string;
  description?: string;
  externalId?: string;
  licenseId?: string;
  fields?: AppField[];
  /** The entitlement's own policy: absent fields inherit the app's. */
  policy?: Partial<AppPolicy>;
}

export interface AppLicense {
  id: string;
  name: string;
  seats: number;
}

/** The body of PUT /apps/:id (and of the impact preview). */
export interface AppBody {
  name: string;
  connector: { type: ConnectorType; config: Record<string, string | number | boolean> };
  entitlements: AppEntitlement[];
  licenses: AppLicense[];
  policy: AppPolicy;
  revision?: number;
}

export type AdminApp = AppBody & { id: string; revision: number };

export interface AppListItem {
  id: string;
  name: string;
  connectorType: string;
  revision: number;
  policy: AppPolicy;
}

export interface LicenseUsage extends AppLicense {
  used: number;
  available: number;
}

export interface PeopleDelta {
  count: number;
  people: { id: string; name: string | null }[];
}

export interface StepImpact {
  scope: 'app' | 'entitlement';
  entitlementId: string | null;
  index: number;
  name: string;
  change: 'added' | 'removed' | 'changed';
  becomeApprovers: PeopleDelta;
  stopApprovers: PeopleDelta;
  perTicketRules: string[];
}

export interface AppImpact {
  appId: string;
  exists: boolean;
  steps: StepImpact[];
  openTickets: { count: number; ids: string[] };
  summary: string[];
}

export interface ConnectionCheck {
  ok: boolean;
  message: string;
  checkedAt: string;
}

const path = (id: string) => `/apps/${encodeURIComponent(id)}`;

export const adminApps = {
  list: (api: GatehouseApi, signal?: AbortSignal) => api.request<AppListItem[]>('GET', '/apps', undefined, signal),
  get: (api: GatehouseApi, id: string, signal?: AbortSignal) =>
    api.request<AdminApp>('GET', path(id), undefined, signal),
  put: (api: GatehouseApi, id: string, body: AppBody) => api.request<AdminApp>('PUT', path(id), body),
  impact: (api: GatehouseApi, id: string, body: AppBody, signal?: AbortSignal) =>
    api.request<AppImpact>('POST', `${path(id)}/impact`, body, signal),
  licenses: (api: GatehouseApi, id: string, signal?: AbortSignal) =>
    api.request<LicenseUsage[]>('GET', `${path(id)}/licenses`, undefined, signal),
  checkConnection: (api: GatehouseApi, id: string) =>
    api.request<ConnectionCheck>('POST', `${path(id)}/connector/check`, {}),
};

/**
 * The field paths a VALIDATION_FAILED message names, with what it says of each: the API joins its
 * problems as "path: problem; path: problem" (or "path must …").
 */
export function fieldProblems(message: string): Map<string, string> {
  const problems = new Map<string, string>();
  for (const part of message.split('; ')) {
    const m = /^([A-Za-z][\w.[\]]*)(?::\s*|\s+)(.*)$/.exec(part.trim());
    if (m) problems.set(m[1], [problems.get(m[1]), m[2]].filter(Boolean).join('; '));
  }
  return problems;
}
