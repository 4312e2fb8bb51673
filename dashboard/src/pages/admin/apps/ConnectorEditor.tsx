// The connector: its type and settings. Settings hold names of environment variables for secrets
// (tokenEnv = GITHUB_TOKEN), never the secrets: the workers read the variables, so no secret is ever
// sent to or shown by Gatehouse. "Test connection" asks the saved app's connector to reach its target.
import { useId, useState } from 'react';
import { adminApps, CONNECTOR_TYPES, type AppBody, type ConnectionCheck } from '../../../api/admin-apps';
import { ErrorMessage } from '../../../components/Messages';
import { useSession } from '../../../session-context';
import { problemsAt } from './draft';
import { Problems } from './PolicyEditor';

type Connector = AppBody['connector'];

/** Settings whose value names an environment variable (holding a secret) rather than being a setting. */
export const isSecretName = (key: string) => /Env$/.test(key);

export function ConnectorEditor({
  appId,
  saved,
  connector,
  problems,
  onChange,
}: {
  appId: string;
  /** Whether the connector as shown is the saved one: the check runs what is saved. */
  saved: boolean;
  connector: Connector;
  problems: Map<string, string>;
  onChange: (c: Connector) => void;
}) {
  const { api } = useSession();
  const id = useId();
  const [check, setCheck] = useState<ConnectionCheck | null>(null);
  const [checkError, setCheckError] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);
  const entries = Object.entries(connector.config);
  const setEntries = (next: [string, string | number | boolean][]) =>
    onChange({ ...connector, config: Object.fromEntries(next) });

  const runCheck = async () => {
    setChecking(true);
    setCheck(null);
    setCheckError(null);
    try {
      setCheck(await adminApps.checkConnection(api, appId));
    } catch (err) {
      setCheckError(err);
    } finally {
      setChecking(false);
    }
  };

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Connector</h2>
      <div className="field">
        <label htmlFor={`${id}-type`}>Connector type</label>
        <select
          id={`${id}-type`}
          value={connector.type}
          onChange={(e) => onChange({ ...connector, type: e.target.value as Connector['type'] })}
        >
          {CONNECTOR_TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </div>
      <p className="hint" id={`${id}-secrets`}>
        Secrets are never entered here: give the <em>name</em> of the environment variable that holds one on the workers
        (a setting ending in <code>Env</code>, e.g. <code>tokenEnv</code> = <code>GITHUB_TOKEN</code>).
      </p>
      <table className="settings">
        <thead>
          <tr>
            <th scope="col">Setting</th>
            <th scope="col">Value</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([key, value], i) => (
            <tr key={i}>
              <td>
                <input
                  aria-label={`Setting ${i + 1} name`}
                  value={key}
                  onChange={(e) => setEntries(entries.map((x, j) => (j === i ? [e.target.value, x[1]] : x)))}
                />
              </td>
              <td>
                <input
                  aria-label={`Setting ${i + 1} value${isSecretName(key) ? ' (environment variable name)' : ''}`}
                  aria-describedby={isSecretName(key) ? `${id}-secrets` : undefined}
                  value={String(value)}
                  onChange={(e) => setEntries(entries.map((x, j) => (j === i ? [x[0], e.target.value] : x)))}
                />
                {isSecretName(key) && <span className="badge">variable name</span>}
              </td>
              <td>
                <button type="button" className="small" onClick={() => setEntries(entries.filter((_, j) => j !== i))}>
                  Remove setting {i + 1}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Problems list={problemsAt(problems, 'connector')} />
      <div className="actions">
        <button type="button" onClick={() => setEntries([...entries, ['', '']])}>
          Add setting
        </button>
        <button type="button" onClick={runCheck} disabled={!saved || checking} aria-describedby={`${id}-check-hint`}>
          {checking ? 'Testing…' : 'Test connection'}
        </button>
      </div>
      {!saved && (
        <p className="hint" id={`${id}-check-hint`}>
          Save first: the test runs the saved connector settings.
        </p>
      )}
      <div aria-live="polite">
        {check && (
          <p className={check.ok ? 'notice' : 'error'} role="status">
            {check.ok ? 'Connection works: ' : 'Connection failed: '}
            {check.message}
          </p>
        )}
      </div>
      <ErrorMessage error={checkError} />
    </section>
  );
}
