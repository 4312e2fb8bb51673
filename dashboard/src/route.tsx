// Hash routes (#/tickets, #/tickets/TCK-1042, #/request, #/admin/apps/github): the gateway serves the API
// at /tickets and /apps, so the dashboard's own paths must never reach the server on a reload.
import { useEffect, useState } from 'react';

/** The admin console's screens, in the order of its navigation. */
export const ADMIN_SECTIONS = ['apps', 'people', 'access', 'drift', 'webhooks', 'audit'] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];

export type Route =
  | { page: 'tickets' }
  | { page: 'ticket'; id: string }
  | { page: 'request' }
  /** `id` names one item of the section (an app, a person, a webhook), `new` a form for a new one. */
  | { page: 'admin'; section: AdminSection; id?: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const ticket = /^\/tickets\/([^/?#]+)$/.exec(path);
  if (ticket) return { page: 'ticket', id: decodeURIComponent(ticket[1]) };
  if (path === '/request') return { page: 'request' };
  const admin = /^\/admin(?:\/([a-z]+)(?:\/([^/?#]+))?)?$/.exec(path);
  if (admin) {
    const section = (ADMIN_SECTIONS as readonly string[]).includes(admin[1] ?? '')
      ? (admin[1] as AdminSection)
      : 'apps';
    return admin[2] ? { page: 'admin', section, id: decodeURIComponent(admin[2]) } : { page: 'admin', section };
  }
  return { page: 'tickets' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function navigate(hash: string): void {
  window.location.hash = hash;
}
