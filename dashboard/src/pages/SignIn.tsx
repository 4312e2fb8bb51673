// Sign-in: with the organisation's identity provider when the gateway offers single sign-on
// (docs/identity.md), or by pasting a bearer token. The dashboard never mints tokens: in the demo they come
// from `npm run token -- <user>` (or one click, under `npm run dev`).
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { errorText } from '../errorText';
import { cleanToken, looksLikeJwt } from '../session';

/** The people of `npm run dev` (tools/src/demo-seed.ts). Names only: their tokens come from the terminal. */
export const DEMO_USERS = [
  { id: 'alice', name: 'Alice Anders', role: 'requester' },
  { id: 'bob', name: 'Bob Brown', role: 'requester (sales)' },
  { id: 'carol', name: 'Carol Chen', role: 'approver: engineering lead' },
  { id: 'dave', name: 'Dave Diaz', role: 'approver: security / IT' },
  { id: 'admin', name: 'Ada Admin', role: 'admin' },
];

export interface SsoOffer {
  issuer: string;
  signIn: () => void;
}

export function SignIn({
  onSignIn,
  error,
  sso = null,
  signedOut = false,
}: {
  onSignIn: (token: string) => void;
  error?: unknown;
  /** Single sign-on, when the gateway offers it. */
  sso?: SsoOffer | null;
  /** Just signed out: say so. */
  signedOut?: boolean;
}) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [demoUser, setDemoUser] = useState<string | null>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  /** Under `npm run dev` the gateway offers the demo people's tokens: one click signs in. */
  const [devTokens, setDevTokens] = useState<Record<string, string> | null>(null);
  useEffect(() => {
    let live = true;
    fetch('/dev/demo-tokens')
      .then((r) => (r.ok ? r.json() : null))
      .then((body: { users?: { id: string; token: string }[] } | null) => {
        if (live && body?.users) setDevTokens(Object.fromEntries(body.users.map((u) => [u.id, u.token])));
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);

  function submit(e: FormEvent) {
    e.preventDefault();
    const token = cleanToken(value);
    if (!token) return setProblem('Paste a token first.');
    if (!looksLikeJwt(token))
      return setProblem('This does not look like a token: a token is three parts separated by dots (eyJ….eyJ….…).');
    setProblem(null);
    onSignIn(token);
  }

  const serverProblem = error ? errorText(error) : null;

  return (
    <main className="page narrow signin" id="main">
      <h1>
        <img src="/favicon.svg" alt="" width="36" height="36" /> Gatehouse
      </h1>
      <p className="lede">Request access to applications, and approve what others ask for.</p>
      {signedOut && (
        <p className="notice" role="status">
          You are signed out.
        </p>
      )}
      {sso && (
        <section className="card" aria-labelledby={`${id}-sso`}>
          <h2 id={`${id}-sso`}>Your organisation’s account</h2>
          <p className="hint">
            Signs you in at <code>{sso.issuer}</code> and brings you back here.
          </p>
          <button type="button" className="primary" onClick={sso.signIn}>
            Sign in with SSO
          </button>
        </section>
      )}
      <form onSubmit={submit} className="card" noValidate>
        <h2>{sso ? 'Or sign in with a token' : 'Sign in'}</h2>
        <label htmlFor={`${id}-token`}>Access token</label>
        <p className="hint" id={`${id}-hint`}>
          Paste the bearer token (a JWT) your organisation's sign-in gives you. It is kept in this browser tab only, and
          forgotten when you close it.
        </p>
        <textarea
          ref={textarea}
          id={`${id}-token`}
          rows={4}
          value={value}
          spellCheck={false}
          autoComplete="off"
          aria-describedby={`${id}-hint${problem || serverProblem ? ` ${id}-problem` : ''}`}
          aria-invalid={Boolean(problem || serverProblem)}
          onChange={(e) => setValue(e.target.value)}
        />
        {(problem || serverProblem) && (
          <p className="error" role="alert" id={`${id}-problem`}>
            {problem ?? serverProblem}
          </p>
        )}
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>

      <section className="card" aria-labelledby={`${id}-demo`}>
        <h2 id={`${id}-demo`}>Trying the demo?</h2>
        <p>
          {devTokens
            ? 'This gateway runs under npm run dev: pick a demo person to sign in as them.'
            : 'With npm run dev, the gateway starts with five demo people: pick one, run the command shown in a terminal at the root of the repository, and paste the token it prints above.'}
        </p>
        <ul className="demo-users">
          {DEMO_USERS.map((u) => (
            <li key={u.id}>
              <button
                type="button"
                aria-pressed={demoUser === u.id}
                onClick={() => {
                  if (devTokens?.[u.id]) return onSignIn(devTokens[u.id]);
                  setDemoUser(u.id);
                  textarea.current?.focus();
                }}
              >
                <strong>{u.name}</strong>
                <span>{u.role}</span>
              </button>
            </li>
          ))}
        </ul>
        {demoUser && !devTokens && (
          <p aria-live="polite">
            Run <code>npm run -s token -- {demoUser}</code> and paste its output into “Access token”.
          </p>
        )}
      </section>
    </main>
  );
}
