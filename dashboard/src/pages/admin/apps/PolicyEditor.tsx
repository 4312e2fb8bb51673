// A policy: the app's, or an entitlement's own on top of it. Limits, notices, extensions, break-glass,
// on-call schedules and the approval steps with their approver rules. Every control is a labelled native
// input or button, in reading order, so it works with the keyboard alone: Enter in a list's box adds the
// item, Escape clears the box, each item has its own Remove button.
import { useEffect, useId, useState, type KeyboardEvent } from 'react';
import type { AppPolicy, AppStep } from '../../../api/admin-apps';
import { defined, emptyStep, hoursFromSeconds, moved, problemsAt, secondsFromHours } from './draft';

const RULE = /^((user|group|role):[A-Za-z0-9][A-Za-z0-9._@-]{0,127}|manager(:2)?)$/;
/** PagerDuty schedule ids, as the API takes them. */
const SCHEDULE = /^[A-Za-z0-9]{1,64}$/;

const ruleProblem = (rule: string) =>
  RULE.test(rule) ? null : `"${rule}" is not a rule: user:<id>, group:<name>, role:<name>, manager or manager:2`;
const scheduleProblem = (id: string) =>
  SCHEDULE.test(id) ? null : `"${id}" is not a PagerDuty schedule id: letters and digits only`;

// The API's defaults for settings a policy leaves out (domain's app.ts).
const DEFAULT_HOURS = { expiryNotice: 24, reraiseWindow: 7 * 24, breakGlassMax: 4, breakGlassReview: 24 };

/** What people call each setting, for a summary of what an entitlement's own policy sets. */
export const POLICY_FIELD_NAMES: Record<keyof AppPolicy, string> = {
  maxDurationSeconds: 'maximum duration',
  allowIndefinite: 'indefinite access',
  requireReason: 'reason',
  approval: 'approval steps',
  pendingTimeoutSeconds: 'pending timeout',
  reraiseWindowSeconds: 're-raise window',
  expiryNoticeSeconds: 'expiry notice',
  extensions: 'extensions',
  onCall: 'on-call schedules',
  breakGlass: 'break-glass',
};

export function Problems({ list, id }: { list: string[]; id?: string }) {
  if (!list.length) return null;
  return (
    <div className="flag" id={id} role="status">
      {list.map((p) => (
        <p key={p}>
          <span aria-hidden="true">⚠ </span>
          {p}
        </p>
      ))}
    </div>
  );
}

/** A number of hours for a policy setting in seconds; empty leaves it out. */
function HoursInput({
  label,
  hint,
  seconds,
  onChange,
  problems,
}: {
  label: string;
  hint?: string;
  seconds: number | undefined;
  onChange: (seconds: number | undefined) => void;
  problems: string[];
}) {
  const id = useId();
  const [text, setText] = useState(hoursFromSeconds(seconds));
  // A value changed from outside (a step moved, the app reloaded) replaces what the box shows.
  useEffect(() => {
    setText((t) => (Object.is(secondsFromHours(t), seconds) ? t : hoursFromSeconds(seconds)));
  }, [seconds]);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        inputMode="decimal"
        value={text}
        aria-invalid={problems.length > 0}
        aria-describedby={`${id}-hint ${id}-problems`}
        onChange={(e) => {
          setText(e.target.value);
          onChange(secondsFromHours(e.target.value));
        }}
      />
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <Problems list={problems} id={`${id}-problems`} />
    </div>
  );
}

/** A list of short values (approver rules, schedule ids): one chip per item, and a box that adds one on Enter. */
function ListInput({
  label,
  items,
  onChange,
  problems,
  check,
  noun,
  placeholder,
  hint,
}: {
  label: string;
  items: string[];
  onChange: (items: string[]) => void;
  problems: string[];
  /** Why a typed item cannot be added; null when it can. */
  check: (item: string) => string | null;
  noun: string;
  placeholder: string;
  hint?: string;
}) {
  const id = useId();
  const [text, setText] = useState('');
  const [local, setLocal] = useState<string | null>(null);
  const add = () => {
    const item = text.trim();
    if (!item) return;
    const refusal = check(item);
    if (refusal) return setLocal(refusal);
    if (!items.includes(item)) onChange([...items, item]);
    setText('');
    setLocal(null);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault(); // adds the item; never submits the form
      add();
    } else if (e.key === 'Escape' && text) {
      e.preventDefault();
      setText('');
      setLocal(null);
    }
  };
  const all = [...(local ? [local] : []), ...problems];
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <ul className="rules" aria-label={`${label}: ${noun}s`}>
        {items.map((r) => (
          <li key={r}>
            <code>{r}</code>
            <button type="button" className="small" onClick={() => onChange(items.filter((x) => x !== r))}>
              Remove <span className="visually-hidden">{r}</span>
            </button>
          </li>
        ))}
        {!items.length && <li className="muted">none</li>}
      </ul>
      <div className="rule-add">
        <input
          id={id}
          value={text}
          placeholder={placeholder}
          aria-invalid={all.length > 0}
          aria-describedby={`${id}-hint ${id}-problems`}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <button type="button" onClick={add}>
          Add <span className="visually-hidden">to {label}</span>
        </button>
      </div>
      <p className="hint" id={`${id}-hint`}>
        {hint ? `${hint} ` : ''}Enter adds the {noun}, Escape clears the box.
      </p>
      <Problems list={all} id={`${id}-problems`} />
    </div>
  );
}

function RulesInput(props: {
  label: string;
  rules: string[];
  onChange: (rules: string[]) => void;
  problems: string[];
}) {
  return (
    <ListInput
      label={props.label}
      items={props.rules}
      onChange={props.onChange}
      problems={props.problems}
      check={ruleProblem}
      noun="rule"
      placeholder="user:carol, group:it-admins, role:admin, manager"
    />
  );
}

function StepEditor({
  step,
  index,
  count,
  path,
  problems,
  onChange,
  onMove,
  onRemove,
}: {
  step: AppStep;
  index: number;
  count: number;
  path: string;
  problems: Map<string, string>;
  onChange: (step: AppStep) => void;
  onMove: (to: number) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const at = (field: string) => problemsAt(problems, `${path}.${field}`);
  const set = (patch: Partial<AppStep>) => onChange(defined({ ...step, ...patch }));
  const escalating = step.escalateAfterSeconds !== undefined || (step.escalateTo?.length ?? 0) > 0;
  return (
    <fieldset className="card step-editor">
      <legend>
        Step {index + 1}: {step.name || 'unnamed'}
      </legend>
      <div className="row">
        <div className="field">
          <label htmlFor={`${id}-name`}>Step name</label>
          <input
            id={`${id}-name`}
            value={step.name}
            aria-invalid={at('name').length > 0}
            onChange={(e) => set({ name: e.target.value })}
          />
          <Problems list={at('name')} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-min`}>Approvals needed</label>
          <input
            id={`${id}-min`}
            type="number"
            min={1}
            value={step.minApprovals}
            aria-invalid={at('minApprovals').length > 0}
            onChange={(e) => set({ minApprovals: Number(e.target.value) })}
          />
          <Problems list={at('minApprovals')} />
        </div>
      </div>
      <RulesInput
        label={`Approvers of step ${index + 1}`}
        rules={step.approvers}
        onChange={(approvers) => set({ approvers })}
        problems={at('approvers')}
      />
      <div className="row">
        <HoursInput
          label="Remind after (hours)"
          seconds={step.remindAfterSeconds}
          onChange={(remindAfterSeconds) => set({ remindAfterSeconds })}
          problems={at('remindAfterSeconds')}
        />
        <HoursInput
          label="Escalate after (hours)"
          seconds={step.escalateAfterSeconds}
          onChange={(escalateAfterSeconds) => set({ escalateAfterSeconds })}
          problems={at('escalateAfterSeconds')}
        />
      </div>
      {escalating || at('escalateTo').length ? (
        <RulesInput
          label={`Fallback approvers of step ${index + 1}`}
          rules={step.escalateTo ?? []}
          onChange={(escalateTo) => set({ escalateTo: escalateTo.length ? escalateTo : undefined })}
          problems={at('escalateTo')}
        />
      ) : null}
      <div className="actions">
        <button type="button" disabled={index === 0} onClick={() => onMove(index - 1)}>
          Move up <span className="visually-hidden">step {index + 1}</span>
        </button>
        <button type="button" disabled={index === count - 1} onClick={() => onMove(index + 1)}>
          Move down <span className="visually-hidden">step {index + 1}</span>
        </button>
        <button type="button" className="danger" onClick={onRemove}>
          Remove step {index + 1}
        </button>
      </div>
    </fieldset>
  );
}

/** The approval steps in order, each with its editor, and Add step. */
function StepsEditor({
  steps,
  path,
  problems,
  onChange,
}: {
  steps: AppStep[];
  path: string;
  problems: Map<string, string>;
  onChange: (steps: AppStep[]) => void;
}) {
  return (
    <>
      {!steps.length && <p className="muted">No steps: tickets are approved as soon as they are raised.</p>}
      {steps.map((step, i) => (
        <StepEditor
          key={i}
          step={step}
          index={i}
          count={steps.length}
          path={`${path}.approval.steps[${i}]`}
          problems={problems}
          onChange={(s) => onChange(steps.map((x, j) => (j === i ? s : x)))}
          onMove={(to) => onChange(moved(steps, i, to))}
          onRemove={() => onChange(steps.filter((_, j) => j !== i))}
        />
      ))}
      <button type="button" onClick={() => onChange([...steps, emptyStep(steps.length + 1)])}>
        Add step
      </button>
    </>
  );
}

/** A yes/no setting an entitlement may leave to its app: the app's, yes or no. */
function InheritedChoice({
  label,
  value,
  inherited,
  yes,
  no,
  onChange,
}: {
  label: string;
  value: boolean | undefined;
  inherited: boolean;
  yes: string;
  no: string;
  onChange: (value: boolean | undefined) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value === undefined ? '' : value ? 'yes' : 'no'}
        onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value === 'yes')}
      >
        <option value="">as the app ({inherited ? yes : no})</option>
        <option value="yes">{yes}</option>
        <option value="no">{no}</option>
      </select>
    </div>
  );
}

const hours = (seconds: number | undefined, none: string) =>
  seconds === undefined ? none : `${hoursFromSeconds(seconds)} hours`;

/**
 * Every setting of a policy. `app` is null for the app's own policy; for an entitlement's it is the app's
 * policy, which each setting left empty inherits (the hints say what that is).
 */
function PolicyFields({
  policy,
  app,
  path,
  problems,
  onChange,
}: {
  policy: Partial<AppPolicy>;
  app: AppPolicy | null;
  path: string;
  problems: Map<string, string>;
  onChange: (policy: Partial<AppPolicy>) => void;
}) {
  const id = useId();
  const at = (field: string) => problemsAt(problems, `${path}.${field}`);
  const set = (patch: Partial<AppPolicy>) => onChange(defined({ ...policy, ...patch }));
  /** An empty setting's meaning: its default in the app's policy, the app's value in an entitlement's. */
  const empty = (fallback: string, inherited: (app: AppPolicy) => string) =>
    `Empty: ${app ? `the app's (${inherited(app)})` : fallback}.`;
  const ext = policy.extensions ?? {};
  const setExt = (patch: Partial<NonNullable<AppPolicy['extensions']>>) => {
    const next = defined({ ...ext, ...patch });
    set({ extensions: Object.keys(next).length ? next : undefined });
  };
  const breakGlass = policy.breakGlass ?? {};
  const setBreakGlass = (patch: Partial<NonNullable<AppPolicy['breakGlass']>>) => {
    const next = defined({ ...breakGlass, ...patch });
    set({ breakGlass: Object.keys(next).length ? next : undefined }); // both empty: no break-glass setting
  };
  const appBreakGlass = (a: AppPolicy) =>
    `${hours(a.breakGlass?.maxSeconds, `${DEFAULT_HOURS.breakGlassMax} hours`)}, reviewed within ${hours(
      a.breakGlass?.reviewWithinSeconds,
      `${DEFAULT_HOURS.breakGlassReview} hours`,
    )}`;
  return (
    <>
      <div className="row">
        <HoursInput
          label="Maximum duration (hours)"
          hint={empty('no maximum', (a) => hours(a.maxDurationSeconds, 'no maximum'))}
          seconds={policy.maxDurationSeconds}
          onChange={(maxDurationSeconds) => set({ maxDurationSeconds })}
          problems={at('maxDurationSeconds')}
        />
        <HoursInput
          label="Pending timeout (hours)"
          hint={`An undecided ticket expires after this. ${empty('never', (a) => hours(a.pendingTimeoutSeconds, 'never'))}`}
          seconds={policy.pendingTimeoutSeconds}
          onChange={(pendingTimeoutSeconds) => set({ pendingTimeoutSeconds })}
          problems={at('pendingTimeoutSeconds')}
        />
      </div>
      <div className="row">
        <HoursInput
          label="Expiry notice (hours)"
          hint={`How long before limited access ends its holder is told. ${empty(
            `${DEFAULT_HOURS.expiryNotice} hours`,
            (a) => hours(a.expiryNoticeSeconds, `${DEFAULT_HOURS.expiryNotice} hours`),
          )}`}
          seconds={policy.expiryNoticeSeconds}
          onChange={(expiryNoticeSeconds) => set({ expiryNoticeSeconds })}
          problems={at('expiryNoticeSeconds')}
        />
        <HoursInput
          label="Re-raise window (hours)"
          hint={`How long after access expired a re-raise still runs in its ticket's workflow. ${empty(
            `${DEFAULT_HOURS.reraiseWindow} hours`,
            (a) => hours(a.reraiseWindowSeconds, `${DEFAULT_HOURS.reraiseWindow} hours`),
          )}`}
          seconds={policy.reraiseWindowSeconds}
          onChange={(reraiseWindowSeconds) => set({ reraiseWindowSeconds })}
          problems={at('reraiseWindowSeconds')}
        />
      </div>
      {app ? (
        <div className="row">
          <InheritedChoice
            label="Indefinite access"
            value={policy.allowIndefinite}
            inherited={app.allowIndefinite !== false}
            yes="allowed"
            no="not allowed"
            onChange={(allowIndefinite) => set({ allowIndefinite })}
          />
          <InheritedChoice
            label="Reason"
            value={policy.requireReason}
            inherited={app.requireReason === true}
            yes="required"
            no="not required"
            onChange={(requireReason) => set({ requireReason })}
          />
        </div>
      ) : (
        <>
          <div className="field toggle">
            <input
              id={`${id}-indef`}
              type="checkbox"
              checked={policy.allowIndefinite !== false}
              onChange={(e) => set({ allowIndefinite: e.target.checked ? undefined : false })}
            />
            <label htmlFor={`${id}-indef`}>Indefinite access allowed</label>
          </div>
          <div className="field toggle">
            <input
              id={`${id}-reason`}
              type="checkbox"
              checked={policy.requireReason === true}
              onChange={(e) => set({ requireReason: e.target.checked || undefined })}
            />
            <label htmlFor={`${id}-reason`}>Reason required</label>
          </div>
        </>
      )}
      <fieldset className="extensions">
        <legend>Extensions</legend>
        {app && <p className="hint">All empty: the app&apos;s limits. Set any, and these replace them as a whole.</p>}
        <div className="row">
          <div className="field">
            <label htmlFor={`${id}-ext-max`}>Extensions per access</label>
            <input
              id={`${id}-ext-max`}
              type="number"
              min={0}
              value={ext.max ?? ''}
              aria-invalid={at('extensions.max').length > 0}
              onChange={(e) => setExt({ max: e.target.value === '' ? undefined : Number(e.target.value) })}
            />
            <p className="hint">Empty: no limit.</p>
            <Problems list={at('extensions.max')} />
          </div>
          <HoursInput
            label="Longest extension (hours)"
            seconds={ext.maxSecondsEach}
            onChange={(maxSecondsEach) => setExt({ maxSecondsEach })}
            problems={at('extensions.maxSecondsEach')}
          />
        </div>
        <div className="field toggle">
          <input
            id={`${id}-ext-auto`}
            type="checkbox"
            checked={ext.autoApproveWithinMax === true}
            onChange={(e) => setExt({ autoApproveWithinMax: e.target.checked || undefined })}
          />
          <label htmlFor={`${id}-ext-auto`}>Approve extensions within these limits without steps</label>
        </div>
      </fieldset>
      <fieldset className="break-glass">
        <legend>Break-glass</legend>
        <p className="hint">
          The access policies decide who may break glass; these limit the access it gives.
          {app && ` Both empty: the app's (${appBreakGlass(app)}); set either, and these replace them.`}
        </p>
        <div className="row">
          <HoursInput
            label="Longest break-glass access (hours)"
            hint={`Empty: ${DEFAULT_HOURS.breakGlassMax} hours.`}
            seconds={breakGlass.maxSeconds}
            onChange={(maxSeconds) => setBreakGlass({ maxSeconds })}
            problems={at('breakGlass.maxSeconds')}
          />
          <HoursInput
            label="Review within (hours)"
            hint={`After it is taken, for an approver to confirm or revoke it. Empty: ${DEFAULT_HOURS.breakGlassReview} hours.`}
            seconds={breakGlass.reviewWithinSeconds}
            onChange={(reviewWithinSeconds) => setBreakGlass({ reviewWithinSeconds })}
            problems={at('breakGlass.reviewWithinSeconds')}
          />
        </div>
      </fieldset>
      <fieldset className="on-call">
        <legend>On-call</legend>
        <div className="field toggle">
          <input
            id={`${id}-oncall`}
            type="checkbox"
            checked={policy.onCall !== undefined}
            aria-describedby={`${id}-oncall-hint`}
            onChange={(e) => set({ onCall: e.target.checked ? { schedules: [] } : undefined })}
          />
          <label htmlFor={`${id}-oncall`}>Own PagerDuty schedules</label>
        </div>
        <p className="hint" id={`${id}-oncall-hint`}>
          Whose on-call counts as on call for the access policies. Off:{' '}
          {app
            ? `the app's (${app.onCall ? app.onCall.schedules.join(', ') || 'nobody' : "the gateway's setting"}).`
            : "the gateway's PAGERDUTY_SCHEDULES entry for this app."}
        </p>
        {policy.onCall && (
          <ListInput
            label="PagerDuty schedule ids"
            items={policy.onCall.schedules}
            onChange={(schedules) => set({ onCall: { schedules } })}
            problems={at('onCall')}
            check={scheduleProblem}
            noun="schedule id"
            placeholder="PABC123"
            hint="Whoever is on call in any of them counts; none: nobody."
          />
        )}
      </fieldset>
      {app ? (
        <fieldset className="own-steps">
          <legend>Approval steps</legend>
          <div className="field toggle">
            <input
              id={`${id}-steps`}
              type="checkbox"
              checked={policy.approval !== undefined}
              aria-describedby={`${id}-steps-hint`}
              // Starts from the app's steps: an entitlement's own steps replace them, so those are kept unless edited.
              onChange={(e) => set({ approval: e.target.checked ? app.approval : undefined })}
            />
            <label htmlFor={`${id}-steps`}>Own approval steps</label>
          </div>
          <p className="hint" id={`${id}-steps-hint`}>
            Off: the app&apos;s {app.approval.steps.length} step(s). On: these replace them for this entitlement.
          </p>
          {policy.approval && (
            <StepsEditor
              steps={policy.approval.steps}
              path={path}
              problems={problems}
              onChange={(steps) => set({ approval: { steps } })}
            />
          )}
        </fieldset>
      ) : (
        <>
          <h3>Approval steps</h3>
          <StepsEditor
            steps={policy.approval?.steps ?? []}
            path={path}
            problems={problems}
            onChange={(steps) => set({ approval: { steps } })}
          />
        </>
      )}
    </>
  );
}

/** The app's policy. */
export function PolicyEditor({
  policy,
  onChange,
  problems,
}: {
  policy: AppPolicy;
  onChange: (policy: AppPolicy) => void;
  problems: Map<string, string>;
}) {
  const id = useId();
  return (
    <section aria-labelledby={`${id}-title`} className="policy-editor">
      <h2 id={`${id}-title`}>Policy</h2>
      <PolicyFields
        policy={policy}
        app={null}
        path="policy"
        problems={problems}
        onChange={(next) => onChange({ ...next, approval: next.approval ?? policy.approval })}
      />
    </section>
  );
}

/** An entitlement's own policy over its app's: each setting left empty is the app's; all empty, it has none. */
export function PolicyOverrideEditor({
  policy,
  app,
  label,
  path,
  problems,
  onChange,
}: {
  policy: Partial<AppPolicy> | undefined;
  app: AppPolicy;
  label: string;
  path: string;
  problems: Map<string, string>;
  onChange: (policy: Partial<AppPolicy> | undefined) => void;
}) {
  return (
    <div role="group" aria-label={label} className="policy-override">
      <PolicyFields
        policy={policy ?? {}}
        app={app}
        path={path}
        problems={problems}
        onChange={(next) => onChange(Object.keys(next).length ? next : undefined)}
      />
    </div>
  );
}
