import { createContext, useContext } from 'react';
import type { GatehouseApi } from './api/client';
import type { Me } from './api/types';

export interface Session {
  api: GatehouseApi;
  me: Me;
  isAdmin: boolean;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** Whether `me` matches one of the approver rules of a step (`user:`, `group:`, `role:`). */
export function matchesApproverRule(me: Me, rules: string[]): boolean {
  return rules.some((rule) => {
    const [kind, ...rest] = rule.split(':');
    const value = rest.join(':');
    if (kind === 'user') return value === me.id;
    if (kind === 'group') return me.groups.includes(value);
    if (kind === 'role') return me.roles.includes(value);
    return false;
  });
}
