// What the person sees when single sign-on did not sign them in: the provider refused them, could not be
// reached, or answered with an error. Each says what happened and what to do next.
import type { SsoProblem } from '../sso';

const TITLES: Record<SsoProblem['kind'], string> = {
  refused: 'Sign-in refused',
  unreachable: 'Single sign-on is unavailable',
  failed: 'Sign-in did not complete',
};

export function SsoProblemPage({
  problem,
  onRetry,
  onBack,
}: {
  problem: SsoProblem;
  onRetry: () => void;
  onBack: () => void;
}) {
  return (
    <main className="page narrow signin" id="main">
      <h1>
        <img src="/favicon.svg" alt="" width="36" height="36" /> Gatehouse
      </h1>
      <section className="card" role="alert" aria-labelledby="sso-problem">
        <h2 id="sso-problem">{TITLES[problem.kind]}</h2>
        {problem.kind === 'refused' && (
          <>
            <p>Your organisation’s identity provider did not let you sign in to Gatehouse.</p>
            {problem.detail && <p className="error">{problem.detail}</p>}
            <p>If you think you should have access, ask your IT team to give you access to Gatehouse.</p>
          </>
        )}
        {problem.kind === 'unreachable' && (
          <p>
            The identity provider at <code>{problem.issuer}</code> cannot be reached right now. Try again in a moment;
            if it keeps failing, your IT team can check the provider and the gateway’s <code>OIDC_ISSUER</code> setting.
          </p>
        )}
        {problem.kind === 'failed' && (
          <>
            <p>The identity provider sent you back without signing you in.</p>
            <p className="error">{problem.detail}</p>
          </>
        )}
        <button type="button" className="primary" onClick={onRetry}>
          Try again
        </button>{' '}
        <button type="button" onClick={onBack}>
          Back to sign-in
        </button>
      </section>
    </main>
  );
}
