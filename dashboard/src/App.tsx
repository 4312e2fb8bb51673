// The shell: sign-in until a token is accepted by GET /me, then the header and the page of the route.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, GatehouseApi } from './api/client';
import type { Me } from './api/types';
import { navigate, useRoute } from './route';
import { SessionContext, type Session } from './session-context';
import { loadToken, saveToken } from './session';
import { SignIn } from './pages/SignIn';
import { SsoProblemPage } from './pages/SsoProblem';
import { describeProblem, signOutAtProvider, startSso, type SsoProblem, type SsoStart } from './sso';
import { TicketsPage } from './pages/Tickets';
import { RequestAccess } from './pages/RequestAccess';
import { TicketPanel } from './pages/TicketPanel';
import { AdminConsole } from './pages/admin/AdminConsole';

const storage = typeof window !== 'undefined' ? window.sessionStorage : undefined;

export function App() {
  const [token, setToken] = useState<string | null>(() => loadToken(storage));
  const [me, setMe] = useState<Me | null>(null);
  const [signInError, setSignInError] = useState<unknown>(null);
  const route = useRoute();
  const [sso, setSso] = useState<SsoStart | null>(null);
  const [ssoProblem, setSsoProblem] = useState<SsoProblem | null>(null);
  const [signedOut, setSignedOut] = useState(false);

  const acceptToken = useCallback((t: string) => {
    saveToken(storage, t);
    setSignInError(null);
    setToken(t);
  }, []);

  // Single sign-on: is it offered, and is this page load the provider sending the browser back?
  useEffect(() => {
    let live = true;
    void startSso().then((started) => {
      if (!live) return;
      setSso(started);
      setSsoProblem(started.problem);
      setSignedOut(started.signedOut);
      if (started.user) acceptToken(started.user.access_token);
    });
    return () => {
      live = false;
    };
  }, [acceptToken]);

  // A renewed token replaces the old one for every later call.
  useEffect(() => {
    const manager = sso?.manager;
    if (!manager) return;
    const renewed = (user: { access_token: string }) => acceptToken(user.access_token);
    manager.events.addUserLoaded(renewed);
    return () => manager.events.removeUserLoaded(renewed);
  }, [sso, acceptToken]);

  const signOut = useCallback((reason?: unknown) => {
    saveToken(storage, null);
    setToken(null);
    setMe(null);
    setSignInError(reason ?? null);
  }, []);

  const api = useMemo(
    () => (token ? new GatehouseApi(token, '', undefined, (err) => signOut(err)) : null),
    [token, signOut],
  );

  useEffect(() => {
    if (!api) return;
    const controller = new AbortController();
    api
      .me(controller.signal)
      .then((m) => setMe(m))
      .catch((err: unknown) => {
        if ((err as Error)?.name === 'AbortError') return;
        if (err instanceof ApiError && err.status === 401) return; // onUnauthenticated signed out already
        setSignInError(err);
      });
    return () => controller.abort();
  }, [api]);

  const session: Session | null = useMemo(
    () => (api && me ? { api, me, isAdmin: me.roles.includes('admin') } : null),
    [api, me],
  );

  if (ssoProblem && sso?.config) {
    return (
      <SsoProblemPage
        problem={ssoProblem}
        onRetry={() => {
          setSsoProblem(null);
          sso.manager
            ?.signinRedirect()
            .catch((err: unknown) => setSsoProblem(describeProblem(err, sso.config!.issuer)));
        }}
        onBack={() => setSsoProblem(null)}
      />
    );
  }
  if (!token) {
    return (
      <SignIn
        error={signInError}
        signedOut={signedOut}
        sso={
          sso?.manager && sso.config
            ? {
                issuer: sso.config.issuer,
                signIn: () =>
                  sso
                    .manager!.signinRedirect()
                    .catch((err: unknown) => setSsoProblem(describeProblem(err, sso.config!.issuer))),
              }
            : null
        }
        onSignIn={acceptToken}
      />
    );
  }
  if (!session) {
    return (
      <main className="page narrow" aria-busy={!signInError}>
        {signInError ? (
          <>
            <h1>Gatehouse</h1>
            <p className="error" role="alert">
              Could not load your profile. {String((signInError as Error).message ?? '')}
            </p>
            <button type="button" onClick={() => signOut()}>
              Sign in again
            </button>
          </>
        ) : (
          <p>Signing in…</p>
        )}
      </main>
    );
  }

  return (
    <SessionContext.Provider value={session}>
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="#/tickets">
          <img src="/favicon.svg" alt="" width="22" height="22" /> Gatehouse
        </a>
        <nav aria-label="Main">
          <a href="#/tickets" aria-current={route.page === 'tickets' ? 'page' : undefined}>
            Tickets
          </a>
          <a href="#/request" aria-current={route.page === 'request' ? 'page' : undefined}>
            Request access
          </a>
          {session.isAdmin && (
            <a href="#/admin/apps" aria-current={route.page === 'admin' ? 'page' : undefined}>
              Admin
            </a>
          )}
        </nav>
        <div className="whoami">
          <span>
            Signed in as <strong>{session.me.name || session.me.id}</strong>
            {session.isAdmin && <span className="badge">admin</span>}
          </span>
          <button
            type="button"
            className="link-button"
            onClick={() => {
              signOut();
              navigate('/tickets');
              setSignedOut(true);
              if (sso?.manager) void signOutAtProvider(sso.manager);
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="page">
        {route.page === 'tickets' && <TicketsPage />}
        {route.page === 'request' && <RequestAccess />}
        {route.page === 'ticket' && <TicketPanel key={route.id} id={route.id} />}
        {route.page === 'admin' && <AdminConsole section={route.section} id={route.id} />}
      </main>
    </SessionContext.Provider>
  );
}
