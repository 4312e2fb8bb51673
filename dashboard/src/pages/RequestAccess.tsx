// Request Access: 1. application, 2. access (search, Modify, extra fields), 3. duration, 4. reason,
// 5. Create Ticket. The policy is checked while typing (POST /tickets/validate, debounced) and each flag
// is shown next to the field that caused it, before anything is submitted; so is an approval the access
// policies would give at once. The catalog holds only what the person may request. Break glass asks for
// emergency access, granted at once and reviewed afterwards.
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import type {
  AppSummary,
  AutoApproval,
  CreateTicketBody,
  Entitlement,
  EntitlementField,
  FieldValue,
  PolicyFlag,
} from '../api/types';
import { ApiError } from '../api/client';
import { ErrorMessage, FieldFlags } from '../components/Messages';
import { useDebounced } from '../hooks';
import { buildRequest, currentFlags, emptyRequest, groupFlags, type RequestFormState } from '../requestForm';
import { navigate } from '../route';
import { useSession } from '../session-context';
import { durationText } from '../ticketText';
import { formatDateTime, formatLength } from '../time';

export const VALIDATE_DEBOUNCE_MS = 400;

/** Flags of the reason and extra fields wait until the person has been there; duration flags show at once. */
const SHOW_WHEN_TOUCHED = (place: string) => place === 'reason' || place.startsWith('field:');

export function RequestAccess() {
  const { api, isAdmin, me } = useSession();
  const id = useId();
  const [state, setState] = useState<RequestFormState>(emptyRequest);
  const set = (patch: Partial<RequestFormState>) => setState((s) => ({ ...s, ...patch }));
  const forUser = useDebounced(state.onBehalfOf.trim(), 400) || undefined;

  const [apps, setApps] = useState<AppSummary[] | null>(null);
  const [appsError, setAppsError] = useState<unknown>(null);
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 250);
  const [entitlements, setEntitlements] = useState<Entitlement[] | null>(null);
  const [entError, setEntError] = useState<unknown>(null);
  // Every entitlement seen, so a picked one stays known when a search hides it.
  const [known, setKnown] = useState<Record<string, Entitlement>>({});

  // The flags of the last validated (or submitted) body, with that body.
  const [validated, setValidated] = useState<{
    body: CreateTicketBody | null;
    flags: PolicyFlag[];
    autoApproval?: AutoApproval | null;
  }>({
    body: null,
    flags: [],
  });
  const [validateError, setValidateError] = useState<unknown>(null);
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const [attempted, setAttempted] = useState(false);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const touch = (place: string) => setTouched((t) => (t.has(place) ? t : new Set(t).add(place)));

  useEffect(() => {
    const controller = new AbortController();
    setAppsError(null);
    api
      .apps(forUser, controller.signal)
      .then(setApps, (err: unknown) => !controller.signal.aborted && setAppsError(err));
    return () => controller.abort();
  }, [api, forUser]);

  useEffect(() => {
    if (!state.appId) return setEntitlements(null);
    const controller = new AbortController();
    setEntError(null);
    api.entitlements(state.appId, q, forUser, controller.signal).then(
      (list) => {
        setEntitlements(list);
        setKnown((k) => ({ ...k, ...Object.fromEntries(list.map((e) => [e.id, e])) }));
      },
      (err: unknown) => !controller.signal.aborted && setEntError(err),
    );
    return () => controller.abort();
  }, [api, state.appId, q, forUser]);

  const app = apps?.find((a) => a.id === state.appId) ?? null;
  const built = useMemo(() => buildRequest(state, known), [state, known]);
  const bodyKey = built.body ? JSON.stringify(built.body) : '';
  const debouncedBodyKey = useDebounced(bodyKey, VALIDATE_DEBOUNCE_MS);

  useEffect(() => {
    if (!debouncedBodyKey) return setValidated({ body: null, flags: [] });
    const controller = new AbortController();
    const body = JSON.parse(debouncedBodyKey) as CreateTicketBody;
    api.validate(body, controller.signal).then(
      (result) => {
        setValidated({ body, flags: result.flags, autoApproval: result.autoApproval ?? null });
        setValidateError(null);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setValidated({ body, flags: err instanceof ApiError ? (err.flags ?? []) : [] });
        setValidateError(err);
      },
    );
    return () => controller.abort();
  }, [api, debouncedBodyKey]);

  const flags = currentFlags(validated, built.body, built.changeEntitlements);
  const grouped = groupFlags(
    [...flags, ...(attempted ? built.missing : [])].filter(
      (f, i, all) => all.findIndex((g) => g.code === f.code && g.field === f.field) === i,
    ),
    built.changeEntitlements,
  );
  const flagsAt = (place: string): PolicyFlag[] => {
    const list = grouped.get(place) ?? [];
    return SHOW_WHEN_TOUCHED(place) && !attempted && !touched.has(place) ? [] : list;
  };
  // Said only for the body as it is now: any edit waits for the next answer.
  const autoApproval =
    validated.autoApproval && validated.body && bodyKey === JSON.stringify(validated.body) && flags.length === 0
      ? validated.autoApproval
      : null;
  const generalFlags = [
    ...(grouped.get('breakGlass') ?? []),
    ...(grouped.get('general') ?? []),
    ...(grouped.get('changes') ?? []),
    ...(grouped.get('appId') ?? []),
  ];

  function chooseApp(appId: string) {
    setState((s) => ({
      ...emptyRequest(),
      onBehalfOf: s.onBehalfOf,
      reason: s.reason,
      breakGlass: s.breakGlass,
      appId,
    }));
    setSearch('');
    setValidated({ body: null, flags: [] });
    setAttempted(false);
    setSubmitError(null);
  }

  function toggleAdd(e: Entitlement, on: boolean) {
    setState((s) => ({
      ...s,
      adds: on
        ? [...s.adds.filter((a) => a.entitlementId !== e.id), { entitlementId: e.id, fields: {} }]
        : s.adds.filter((a) => a.entitlementId !== e.id),
    }));
  }

  function toggleModify(e: Entitlement) {
    setState((s) => ({
      ...s,
      removes: s.removes.includes(e.id) ? s.removes.filter((r) => r !== e.id) : [...s.removes, e.id],
    }));
  }

  function setField(entitlementId: string, key: string, value: FieldValue | '') {
    setState((s) => ({
      ...s,
      adds: s.adds.map((a) =>
        a.entitlementId === entitlementId ? { ...a, fields: { ...a.fields, [key]: value } } : a,
      ),
    }));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setAttempted(true);
    setSubmitError(null);
    if (!built.body) return;
    setSubmitting(true);
    try {
      const ticket = await api.createTicket(built.body);
      navigate(`/tickets/${encodeURIComponent(ticket.id)}`);
    } catch (err) {
      setSubmitError(err);
      if (err instanceof ApiError && err.flags?.length) setValidated({ body: built.body, flags: err.flags });
    } finally {
      setSubmitting(false);
    }
  }

  const adds = state.adds.map((a) => ({ ...a, entitlement: known[a.entitlementId] })).filter((a) => a.entitlement);
  const withFields = adds.filter((a) => (a.entitlement!.fields ?? []).length > 0);
  const needsDuration = state.adds.length > 0;
  const policy = app?.policy ?? {};
  const describe = (place: string, ...extra: string[]) =>
    [...extra, flagsAt(place).length ? `${id}-${place}-flags` : ''].filter(Boolean).join(' ') || undefined;

  return (
    <section aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <h1 id={`${id}-title`}>Request access</h1>
        <a href="#/tickets">← Back to tickets</a>
      </div>
      <form className="request-form" onSubmit={submit} noValidate>
        {isAdmin && (
          <div className="card">
            <div className="field">
              <label htmlFor={`${id}-behalf`}>On behalf of (user id)</label>
              <input
                id={`${id}-behalf`}
                value={state.onBehalfOf}
                onChange={(e) => set({ onBehalfOf: e.target.value })}
                placeholder={`empty: for yourself (${me.id})`}
                autoComplete="off"
                aria-describedby={`${id}-behalf-hint`}
              />
              <p className="hint" id={`${id}-behalf-hint`}>
                As an admin you may raise a ticket for someone else; “Has access” then describes their access.
              </p>
              <FieldFlags flags={flagsAt('onBehalfOf')} id={`${id}-onBehalfOf-flags`} />
            </div>
          </div>
        )}

        <fieldset className="card step">
          <legend>
            <span className="step-number">1</span> Application
          </legend>
          <ErrorMessage error={appsError} />
          {!apps && !appsError && <p aria-busy="true">Loading applications…</p>}
          {apps && apps.length === 0 && <EmptyCatalog isAdmin={isAdmin} />}
          <div className="choices apps">
            {apps?.map((a) => (
              <label key={a.id} className={`choice ${state.appId === a.id ? 'selected' : ''}`}>
                <input
                  type="radio"
                  name={`${id}-app`}
                  value={a.id}
                  checked={state.appId === a.id}
                  onChange={() => chooseApp(a.id)}
                />
                <span className="choice-name">{a.name}</span>
                {a.hasAccess && <span className="badge ok">Has access</span>}
              </label>
            ))}
          </div>
        </fieldset>

        {app && (
          <fieldset className="card step">
            <legend>
              <span className="step-number">2</span> Access in {app.name}
            </legend>
            <div className="field">
              <label htmlFor={`${id}-search`}>Search access</label>
              <input
                id={`${id}-search`}
                type="search"
                value={search}
                onChange={(e) => setSearch(e.target.value)}
                placeholder="Name or description"
                autoComplete="off"
              />
            </div>
            <ErrorMessage error={entError} />
            <div className="access-layout">
              <ul className="entitlements" aria-label={`Access in ${app.name}`}>
                {entitlements?.length === 0 && (
                  <li className="empty">
                    {q ? `Nothing matches “${q}”.` : `There is nothing in ${app.name} you may request.`}
                  </li>
                )}
                {entitlements?.map((e) => {
                  const picked = state.adds.some((a) => a.entitlementId === e.id);
                  const modifying = state.removes.includes(e.id);
                  const entFlags = flagsAt(`entitlement:${e.id}`);
                  return (
                    <li
                      key={e.id}
                      className={`entitlement ${picked ? 'selected' : ''} ${modifying ? 'modifying' : ''}`}
                    >
                      <div className="entitlement-main">
                        {e.membership.hasAccess ? (
                          <span className="entitlement-name">{e.name}</span>
                        ) : (
                          <label className="entitlement-name">
                            <input
                              type="checkbox"
                              checked={picked}
                              onChange={(ev) => toggleAdd(e, ev.target.checked)}
                              aria-describedby={entFlags.length ? `${id}-entitlement:${e.id}-flags` : undefined}
                            />{' '}
                            {e.name}
                          </label>
                        )}
                        <span className="kind">{e.kind}</span>
                        {e.membership.hasAccess && (
                          <span className="badge ok">
                            Has access{e.membership.end ? ` until ${formatDateTime(e.membership.end)}` : ''}
                          </span>
                        )}
                        {e.membership.hasAccess && (
                          <button
                            type="button"
                            className="small"
                            aria-pressed={modifying}
                            onClick={() => toggleModify(e)}
                            aria-label={`Modify ${e.name}`}
                          >
                            {modifying ? 'Keep' : 'Modify'}
                          </button>
                        )}
                      </div>
                      {e.description && <p className="muted">{e.description}</p>}
                      {modifying && (
                        <p className="hint" role="status">
                          {e.name} will be removed when this ticket is approved. Pick the access that replaces it; with
                          nothing picked, the ticket only removes it.
                        </p>
                      )}
                      <FieldFlags flags={entFlags} id={`${id}-entitlement:${e.id}-flags`} />
                    </li>
                  );
                })}
              </ul>
              {withFields.length > 0 && (
                <aside className="side-panel" aria-label="Details the chosen access needs">
                  {withFields.map((a) => (
                    <fieldset key={a.entitlementId}>
                      <legend>Details for {a.entitlement!.name}</legend>
                      {(a.entitlement!.fields ?? []).map((def) => (
                        <ExtraField
                          key={def.key}
                          def={def}
                          inputId={`${id}-f-${a.entitlementId}-${def.key}`}
                          value={a.fields[def.key] ?? ''}
                          onChange={(v) => setField(a.entitlementId, def.key, v)}
                          onBlur={() => touch(`field:${a.entitlementId}:${def.key}`)}
                          flags={flagsAt(`field:${a.entitlementId}:${def.key}`)}
                        />
                      ))}
                    </fieldset>
                  ))}
                </aside>
              )}
            </div>
            {state.removes.length > 0 && (
              <p className="summary">
                This ticket will {state.adds.length ? 'modify your access: ' : ''}remove{' '}
                {state.removes.map((r) => known[r]?.name ?? r).join(', ')}
                {state.adds.length ? ` and add ${adds.map((a) => a.entitlement!.name).join(', ')}` : ''}.
              </p>
            )}
          </fieldset>
        )}

        {app && needsDuration && (
          <fieldset className="card step">
            <legend>
              <span className="step-number">3</span> Duration
            </legend>
            <p className="hint" id={`${id}-policy`}>
              {policy.maxDurationSeconds
                ? `${app.name} grants access for at most ${formatLength(policy.maxDurationSeconds)}.`
                : `${app.name} sets no maximum length.`}
              {policy.allowIndefinite === false ? ' Indefinite access is not allowed.' : ''}
            </p>
            <div
              className="choices"
              role="radiogroup"
              aria-label="Duration"
              aria-describedby={describe('duration.type', `${id}-policy`)}
            >
              <label className={`choice ${state.durationType === 'limited' ? 'selected' : ''}`}>
                <input
                  type="radio"
                  name={`${id}-duration`}
                  checked={state.durationType === 'limited'}
                  onChange={() => set({ durationType: 'limited' })}
                />
                Until a date
              </label>
              <label className={`choice ${state.durationType === 'indefinite' ? 'selected' : ''}`}>
                <input
                  type="radio"
                  name={`${id}-duration`}
                  checked={state.durationType === 'indefinite'}
                  onChange={() => set({ durationType: 'indefinite' })}
                />
                Indefinitely
              </label>
              <label className={`choice ${state.durationType === 'relative' ? 'selected' : ''}`}>
                <input
                  type="radio"
                  name={`${id}-duration`}
                  checked={state.durationType === 'relative'}
                  onChange={() => set({ durationType: 'relative' })}
                />
                For N hours from approval
              </label>
            </div>
            <FieldFlags flags={flagsAt('duration.type')} id={`${id}-duration.type-flags`} />
            {state.durationType === 'relative' && (
              <div className="field">
                <label htmlFor={`${id}-hours`}>Hours from approval</label>
                <input
                  id={`${id}-hours`}
                  type="number"
                  inputMode="decimal"
                  min="0.25"
                  step="0.25"
                  value={state.hours}
                  onChange={(e) => set({ hours: e.target.value })}
                  aria-describedby={describe('duration.seconds', `${id}-hours-hint`)}
                  aria-invalid={flagsAt('duration.seconds').length > 0}
                />
                <p className="hint" id={`${id}-hours-hint`}>
                  {built.body?.duration?.type === 'relative'
                    ? `The access lasts ${durationText(built.body.duration)}: the clock starts when it is granted, so a late approval does not shorten it.`
                    : 'The clock starts when the access is granted, so a late approval does not shorten it.'}
                </p>
                <FieldFlags flags={flagsAt('duration.seconds')} id={`${id}-duration.seconds-flags`} />
              </div>
            )}
            {state.durationType === 'limited' && (
              <div className="row">
                <div className="field">
                  <label htmlFor={`${id}-start`}>Start</label>
                  <input
                    id={`${id}-start`}
                    type="datetime-local"
                    value={state.start}
                    onChange={(e) => set({ start: e.target.value })}
                    aria-describedby={describe('duration.start', `${id}-start-hint`)}
                    aria-invalid={flagsAt('duration.start').length > 0}
                  />
                  <p className="hint" id={`${id}-start-hint`}>
                    Empty: as soon as it is approved.
                  </p>
                  <FieldFlags flags={flagsAt('duration.start')} id={`${id}-duration.start-flags`} />
                </div>
                <div className="field">
                  <label htmlFor={`${id}-end`}>End</label>
                  <input
                    id={`${id}-end`}
                    type="datetime-local"
                    value={state.end}
                    required
                    onChange={(e) => set({ end: e.target.value })}
                    aria-describedby={describe('duration.end')}
                    aria-invalid={flagsAt('duration.end').length > 0}
                  />
                  <FieldFlags flags={flagsAt('duration.end')} id={`${id}-duration.end-flags`} />
                </div>
              </div>
            )}
          </fieldset>
        )}

        {app && (
          <div className="card step">
            <div className="field">
              <label htmlFor={`${id}-reason`}>
                <span className="step-number">{needsDuration ? 4 : 3}</span> Reason
                {policy.requireReason || state.breakGlass ? ' (required)' : ' (optional)'}
              </label>
              <textarea
                id={`${id}-reason`}
                rows={3}
                value={state.reason}
                maxLength={2000}
                onChange={(e) => set({ reason: e.target.value })}
                onBlur={() => touch('reason')}
                aria-describedby={describe('reason')}
                aria-invalid={flagsAt('reason').length > 0}
                aria-required={policy.requireReason || state.breakGlass || undefined}
              />
              <FieldFlags flags={flagsAt('reason')} id={`${id}-reason-flags`} />
            </div>
          </div>
        )}

        {app && state.adds.length > 0 && (
          <div className={`card ${state.breakGlass ? 'break-glass-warning' : ''}`}>
            <div className="field toggle">
              <input
                id={`${id}-break-glass`}
                type="checkbox"
                checked={state.breakGlass}
                onChange={(e) => set({ breakGlass: e.target.checked })}
                aria-describedby={`${id}-break-glass-hint`}
              />
              <label htmlFor={`${id}-break-glass`}>Break glass (emergency)</label>
            </div>
            <p className="hint" id={`${id}-break-glass-hint`}>
              {state.breakGlass ? (
                <strong role="alert">
                  <span aria-hidden="true">⚠ </span>Emergency access is granted at once, without approval. Use it only
                  when something is broken and cannot wait: your reason is required, the approvers are told, review it
                  afterwards and may revoke it, and everything is logged. Only people an access policy allows to break
                  glass may use it. With no end chosen, it lasts as long as the policy allows break glass.
                </strong>
              ) : (
                'Only in an emergency: the access is granted at once and reviewed by the approvers afterwards.'
              )}
            </p>
          </div>
        )}

        {autoApproval && (
          <p className="notice auto-approval" role="status">
            <span aria-hidden="true">✓ </span>
            This request will be approved automatically when you create it: the access is set up at once, with no
            approvers to wait for.
            {autoApproval.reason && <span className="muted"> ({autoApproval.reason})</span>}
          </p>
        )}

        <div className="actions">
          {attempted && generalFlags.length > 0 && <FieldFlags flags={generalFlags} id={`${id}-general-flags`} />}
          <ErrorMessage
            error={
              submitError ??
              (attempted && validateError && !(validateError instanceof ApiError && validateError.flags?.length)
                ? validateError
                : null)
            }
            context={{
              POLICY_VIOLATION: 'The request does not meet the application’s policy yet: see the marked fields above.',
              NOT_ELIGIBLE: state.breakGlass
                ? 'The access policies do not let you break glass for this access. Request it normally instead.'
                : 'The access policies do not let you request the marked access. Ask your Gatehouse admins if you need it.',
            }}
            showFlags={false}
          />
          <button
            type="submit"
            className={state.breakGlass ? 'danger' : 'primary'}
            disabled={submitting}
            aria-busy={submitting}
          >
            {submitting ? 'Creating…' : state.breakGlass ? 'Break glass: get access now' : 'Create Ticket'}
          </button>
          <a href="#/tickets" className="button">
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}

/** Nothing to choose from: no apps at all (admins see every app), or nothing the access policies let this person request. */
function EmptyCatalog({ isAdmin }: { isAdmin: boolean }) {
  if (isAdmin) return <p className="empty">No applications are set up yet. An admin adds them with PUT /apps/:id.</p>;
  return (
    <p className="empty">
      There is nothing you may request right now: the access policies allow you no application. Ask your Gatehouse
      admins if you need access.
    </p>
  );
}

function ExtraField(props: {
  def: EntitlementField;
  inputId: string;
  value: FieldValue | '';
  onChange: (v: FieldValue | '') => void;
  onBlur: () => void;
  flags: PolicyFlag[];
}) {
  const { def, inputId, value, onChange, onBlur, flags } = props;
  const flagsId = `${inputId}-flags`;
  const common = {
    id: inputId,
    onBlur,
    'aria-invalid': flags.length > 0,
    'aria-describedby':
      [def.pattern ? `${inputId}-hint` : '', flags.length ? flagsId : ''].filter(Boolean).join(' ') || undefined,
    'aria-required': def.required || undefined,
  };
  const label = `${def.label}${def.required ? ' (required)' : ''}`;
  if (def.type === 'boolean') {
    return (
      <div className="field toggle">
        <input type="checkbox" {...common} checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        <label htmlFor={inputId}>{label}</label>
        <FieldFlags flags={flags} id={flagsId} />
      </div>
    );
  }
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      {def.type === 'enum' ? (
        <select {...common} value={String(value)} onChange={(e) => onChange(e.target.value)}>
          <option value="">Choose…</option>
          {(def.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <input
          {...common}
          type={def.type === 'number' ? 'number' : 'text'}
          inputMode={def.type === 'number' ? 'decimal' : undefined}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
          autoComplete="off"
        />
      )}
      {def.pattern && (
        <p className="hint" id={`${inputId}-hint`}>
          Format: <code>{def.pattern}</code>
        </p>
      )}
      <FieldFlags flags={flags} id={flagsId} />
    </div>
  );
}
