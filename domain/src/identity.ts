/** Who is acting: the verified claims of a bearer token, reduced to what rules need. */
export interface Actor {
  id: string;
  name?: string;
  email?: string;
  roles: string[];
  groups: string[];
  /**
   * Set when the caller is a directory (SCIM) user: `id` is then that user's Gatehouse id, and roles and
   * groups include the directory's (docs/identity.md).
   */
  directory?: { manager: string | null; department: string | null };
}

export const ADMIN_ROLE = 'admin';

export function isAdmin(actor: Pick<Actor, 'roles'>): boolean {
  return actor.roles.includes(ADMIN_ROLE);
}

/** The approver rules (`user:`, `group:`, `role:`) an actor satisfies. */
export function approverRulesOf(actor: Pick<Actor, 'id' | 'roles' | 'groups'>): string[] {
  return [`user:${actor.id}`, ...actor.groups.map((g) => `group:${g}`), ...actor.roles.map((r) => `role:${r}`)];
}
