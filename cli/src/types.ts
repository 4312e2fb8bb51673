/** The parts of the API's answers the CLI reads (docs/api.md); everything else passes through to --json. */

export interface Me {
  id: string;
  name?: string | null;
  email?: string | null;
  roles: string[];
  groups: string[];
}

export interface Duration {
  type: 'limited' | 'indefinite';
  start?: string | null;
  end?: string | null;
}

export interface Ticket {
  id: string;
  type: string;
  action: string;
  status: 'pending' | 'approved' | 'rejected' | 'cancelled';
  requester: { id: string; name?: string | null };
  beneficiary: { id: string; name?: string | null };
  app: { id: string; name: string };
  changes: { op: string; entitlement: { id: string; name: string } }[];
  duration: Duration | null;
  reason?: string | null;
  approval: { currentStep: number; awaiting: string[] };
  access: { state: string; start: string | null; end: string | null; error?: unknown };
  createdAt: string;
}

export interface TicketSummary {
  id: string;
  status: string;
  requester: { id: string; name?: string | null };
  beneficiary: { id: string; name?: string | null };
  type: string;
  action: string;
  app: { id: string; name: string };
  comment?: string | null;
  createdAt: string;
}

export interface TicketPage {
  items: TicketSummary[];
  nextCursor: string | null;
}

export interface Grant {
  userId: string;
  appId: string;
  entitlementId: string;
  state: string;
  start: string | null;
  end: string | null;
  ticketId: string;
  holders?: { ticketId: string; start: string | null; end: string | null }[];
}
