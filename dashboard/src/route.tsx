// Hash routes (#/tickets, #/tickets/TCK-1042, #/request): the gateway serves the API at /tickets and
// /apps, so the dashboard's own paths must never reach the server on a reload.
import { useEffect, useState } from 'react';

export type Route = { page: 'tickets' } | { page: 'ticket'; id: string } | { page: 'request' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const ticket = /^\/tickets\/([^/?#]+)$/.exec(path);
  if (ticket) return { page: 'ticket', id: decodeURIComponent(ticket[1]) };
  if (path === '/request') return { page: 'request' };
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
