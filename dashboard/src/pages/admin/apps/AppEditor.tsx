// One application, new or existing: basics, connector, entitlements, licenses and policy. Every change
// is checked by the API's own validation through the impact preview (POST /apps/:id/impact, debounced),
// its problems shown next to their fields, and Save stays off until the preview of exactly what is on
// screen is shown. Save sends the revision it loaded: a change someone else saved meanwhile is refused
// (409 REVISION_CONFLICT) and offered for reload, never overwritten.
import { useCallback, useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { adminApps, fieldProblems, type AppBody, type AppImpact, type LicenseUsage } from '../../../api/admin-apps';
import { ApiError } from '../../../api/client';
import { ErrorMessage } from '../../../components/Messages';
import { useDebounced } from '../../../hooks';
import { navigate } from '../../../route';
import { useSession } from '../../../session-context';
import { ConnectorEditor } from './ConnectorEditor';
import { draftOf, newDraft, problemsAt, type AppDraft } from './draft';
import { EntitlementsEditor, LicensesEditor } from './EntitlementsEditor';
import { ImpactPreview } from './ImpactPreview';
import { PolicyEditor, Problems } from './PolicyEditor';

export const IMPACT_DEBOUNCE_MS = 400;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export function AppEditor({ appId }: { appId: string | null }) {
  const { api } = useSession();
  const id = useId();
  const [draft, setDraft] = useState<AppDraft | null>(appId ? null : newDraft());
  const [savedBody, setSavedBody] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [usage, setUsage] = useState<LicenseUsage[] | null>(null);
  const [impact, setImpact] = useState<{ body: string; impact: AppImpact } | null>(null);
  const [problems, setProblems] = useState<{ body: string; map: Map<string, string>; message: string } | null>(null);
  const [impactError, setImpactError] = useState<unknown>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [savedNote, setSavedNote] = useState<string | null>(null);

  const load = useCallback(
    (signal?: AbortSignal) => {
      if (!appId) return;
      setLoadError(null);
      adminApps.get(api, appId, signal).then(
        (app) => {
          const d = draftOf(app);
          setDraft(d);
          setSavedBody(JSON.stringify(d.body));
          setSaveError(null);
        },
        (err: unknown) => !signal?.aborted && setLoadError(err),
      );
      adminApps.licenses(api, appId, signal).then(setUsage, () => setUsage(null));
    },
    [api, appId],
  );
  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal);
    return () => controller.abort();
  }, [load]);

  const bodyText = useMemo(() => (draft ? JSON.stringify(draft.body) : ''), [draft]);
  // What is on screen, as one string: an unchanged draft is an unchanged value, and is checked once.
  const onScreen = draft ? JSON.stringify([draft.id.trim(), bodyText]) : '';
  const checking = useDebounced(onScreen, IMPACT_DEBOUNCE_MS);

  // Live validation and impact: the API's answer for what is on screen (after a short pause in typing).
  useEffect(() => {
    if (!checking) return;
    const [appIdToCheck, checkedBody] = JSON.parse(checking) as [string, string];
    if (!ID_PATTERN.test(appIdToCheck)) return;
    const controller = new AbortController();
    adminApps.impact(api, appIdToCheck, JSON.parse(checkedBody) as AppBody, controller.signal).then(
      (answer) => {
        setImpact({ body: checking, impact: answer });
        setProblems(null);
        setImpactError(null);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.code === 'VALIDATION_FAILED') {
          setProblems({ body: checking, map: fieldProblems(err.message), message: err.message });
          setImpactError(null);
        } else setImpactError(err);
      },
    );
    return () => controller.abort();
  }, [api, checking]);

  if (loadError) return <ErrorMessage error={loadError} context={{ APP_NOT_FOUND: `No application ${appId}.` }} />;
  if (!draft) return <p className="muted">Loading {appId}…</p>;

  const isNew = appId === null;
  const map = problems?.map ?? new Map<string, string>();
  const current = impact?.body === onScreen ? impact.impact : null;
  const idProblem = isNew && draft.id && !ID_PATTERN.test(draft.id.trim()) ? ['letters, digits and . _ @ - only'] : [];
  const setBody = (patch: Partial<AppBody>) => {
    setSavedNote(null);
    setDraft((d) => d && { ...d, body: { ...d.body, ...patch } });
  };
  const conflict = saveError instanceof ApiError && saveError.code === 'REVISION_CONFLICT';
  const unchanged = bodyText === savedBody;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!current || problems?.body === onScreen) return;
    setSaving(true);
    setSaveError(null);
    try {
      const saved = await adminApps.put(api, draft.id.trim(), draft.body);
      const d = draftOf(saved);
      setDraft(d);
      setSavedBody(JSON.stringify(d.body));
      setSavedNote(`Saved: ${saved.name} is at revision ${saved.revision}.`);
      if (isNew) navigate(`#/admin/apps/${encodeURIComponent(saved.id)}`);
      else adminApps.licenses(api, saved.id).then(setUsage, () => undefined);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'VALIDATION_FAILED')
        setProblems({ body: onScreen, map: fieldProblems(err.message), message: err.message });
      setSaveError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="app-editor" onSubmit={save} noValidate>
      <div className="page-head">
        <h1>{isNew ? 'New application' : draft.body.name || draft.id}</h1>
        <a href="#/admin/apps">All applications</a>
      </div>
      <section aria-labelledby={`${id}-basics`}>
        <h2 id={`${id}-basics`}>Application</h2>
        <div className="row">
          <div className="field">
            <label htmlFor={`${id}-id`}>Application id</label>
            <input
              id={`${id}-id`}
              value={draft.id}
              readOnly={!isNew}
              aria-invalid={idProblem.length + problemsAt(map, 'appId').length > 0}
              aria-describedby={`${id}-id-hint`}
              onChange={(e) => setDraft({ ...draft, id: e.target.value })}
            />
            <p className="hint" id={`${id}-id-hint`}>
              {isNew ? 'Used in URLs and the CLI; cannot be changed later.' : 'Fixed once created.'}
            </p>
            <Problems list={[...idProblem, ...problemsAt(map, 'appId')]} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-name`}>Name</label>
            <input
              id={`${id}-name`}
              value={draft.body.name}
              aria-invalid={problemsAt(map, 'name').length > 0}
              onChange={(e) => setBody({ name: e.target.value })}
            />
            <Problems list={problemsAt(map, 'name')} />
          </div>
        </div>
      </section>
      <ConnectorEditor
        appId={draft.id}
        saved={!isNew && unchanged}
        connector={draft.body.connector}
        problems={map}
        onChange={(connector) => setBody({ connector })}
      />
      <EntitlementsEditor
        entitlements={draft.body.entitlements}
        licenses={draft.body.licenses}
        appPolicy={draft.body.policy}
        problems={map}
        onChange={(entitlements) => setBody({ entitlements })}
      />
      <LicensesEditor
        licenses={draft.body.licenses}
        usage={usage}
        problems={map}
        onChange={(licenses) => setBody({ licenses })}
      />
      <PolicyEditor policy={draft.body.policy} problems={map} onChange={(policy) => setBody({ policy })} />

      <div className="save-bar">
        {!ID_PATTERN.test(draft.id.trim()) ? (
          <p className="hint">Give the application an id: its impact preview and Save follow.</p>
        ) : problems?.body === onScreen ? (
          <div className="error" role="alert">
            <p>The API would refuse this: {problems.message}</p>
          </div>
        ) : (
          <ImpactPreview impact={current} stale={!current} />
        )}
        <ErrorMessage error={impactError} />
        {conflict ? (
          <div className="error" role="alert">
            <p>This application was changed by someone else since you opened it — reload to see their change.</p>
            <button type="button" onClick={() => load()}>
              Reload
            </button>
          </div>
        ) : (
          <ErrorMessage error={saveError} showFlags={false} />
        )}
        {savedNote && (
          <p className="notice" role="status">
            {savedNote}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={saving || !current || unchanged}>
            {saving ? 'Saving…' : isNew ? 'Create application' : 'Save changes'}
          </button>
          {!unchanged && !current && !problems && <span className="hint">Save waits for the impact preview.</span>}
        </div>
      </div>
    </form>
  );
}
