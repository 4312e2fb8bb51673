// The bearer token lives in sessionStorage: it survives a reload of the tab, is gone when the tab is
// closed, and is never written to localStorage or a cookie.
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const KEY = 'gatehouse.token';

export function loadToken(store: KeyValueStore | undefined): string | null {
  try {
    return store?.getItem(KEY) ?? null;
  } catch {
    return null; // storage disabled: the token then lives in memory only
  }
}

export function saveToken(store: KeyValueStore | undefined, token: string | null): void {
  try {
    if (token) store?.setItem(KEY, token);
    else store?.removeItem(KEY);
  } catch {
    // storage disabled: keep the token in memory only
  }
}

/** Accepts "Bearer eyJ…", quotes, `export X_TOKEN=eyJ…` lines, whole terminal output and whitespace, as people paste them. */
export function cleanToken(pasted: string): string {
  // The whole terminal output pasted (npm's banner lines included): take the JWT in it.
  const jwt = pasted.match(/eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g);
  if (jwt) return jwt[jwt.length - 1];
  let t = pasted.trim();
  const assignment = /^(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=(.*)$/s.exec(t);
  if (assignment) t = assignment[1].trim();
  t = t.replace(/^["']|["']$/g, '').trim();
  t = t.replace(/^Bearer\s+/i, '');
  return t.replace(/\s+/g, '');
}

/** Whether a pasted string has the shape of a JWT (three base64url parts), to catch copy mistakes early. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
