// The app's policy: limits, extensions and the approval steps with their approver rules. Every control
// is a labelled native input or button, in reading order, so it works with the keyboard alone: Enter in
// an approver box adds the rule, Escape clears the box, each rule has its own Remove button.
import { useEffect, useId, useState, type KeyboardEvent } from 'react';
import type { AppPolicy, AppStep } from '../../../api/admin-apps';
import { defined, emptyStep, hoursFromSeconds, moved, problemsAt, secondsFromHours } from './draft';

const RULE = /^((user|group|role):[A-Za-z0-9][A-Za-z0-9._@-]{0,127}|manager(:2)?)$/;

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

/** A list of approver rules: one chip per rule, and a box that adds one on Enter. */
function RulesInput({
  label,
  rules,
  onChange,
  problems,
}: {
  label: string;
  rules: string[];
  onChange: (rules: string[]) => void;
  problems: string[];
}) {
  const id = useId();
  const [text, setText] = useState('');
  const [local, setLocal] = useState<string | null>(null);
  const add = () => {
    const rule = text.trim();
    if (!rule) return;
    if (!RULE.test(rule))
      return setLocal(`"${rule}" is not a rule: user:<id>, group:<name>, role:<name>, manager or manager:2`);
    if (!rules.includes(rule)) onChange([...rules, rule]);
    setText('');
    setLocal(null);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault(); // adds the rule; never submits the form
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
      <ul className="rules" aria-label={`${label}: rules`}>
        {rules.map((r) => (
          <li key={r}>
            <code>{r}</code>
            <button type="button" className="small" onClick={() => onChange(rules.filter((x) => x !== r))}>
              Remove <span className="visually-hidden">{r}</span>
            </button>
          </li>
        ))}
        {!rules.length && <li className="muted">none</li>}
      </ul>
      <div className="rule-add">
        <input
          id={id}
          value={text}
          placeholder="user:carol, group:it-admins, role:admin, manager"
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
        Enter adds the rule, Escape clears the box.
      </p>
      <Problems list={all} id={`${id}-problems`} />
    </div>
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

export function PolicyEditor({
  policy,
  onChange,
  problems,
  path = 'policy',
}: {
  policy: AppPolicy;
  onChange: (policy: AppPolicy) => void;
  problems: Map<string, string>;
  path?: string;
}) {
  const id = useId();
  const at = (field: string) => problemsAt(problems, `${path}.${field}`);
  const set = (patch: Partial<AppPolicy>) => onChange(defined({ ...policy, ...patch }));
  const steps = policy.approval.steps;
  const setSteps = (next: AppStep[]) => set({ approval: { steps: next } });
  const ext = policy.extensions ?? {};
  const setExt = (patch: Partial<NonNullable<AppPolicy['extensions']>>) => {
    const next = defined({ ...ext, ...patch });
    set({ extensions: Object.keys(next).length ? next : undefined });
  };
  return (
    <section aria-labelledby={`${id}-title`} className="policy-editor">
      <h2 id={`${id}-title`}>Policy</h2>
      <div className="row">
        <HoursInput
          label="Maximum duration (hours)"
          hint="Empty: no maximum."
          seconds={policy.maxDurationSeconds}
          onChange={(maxDurationSeconds) => set({ maxDurationSeconds })}
          problems={at('maxDurationSeconds')}
        />
        <HoursInput
          label="Pending timeout (hours)"
          hint="An undecided ticket expires after this. Empty: never."
          seconds={policy.pendingTimeoutSeconds}
          onChange={(pendingTimeoutSeconds) => set({ pendingTimeoutSeconds })}
          problems={at('pendingTimeoutSeconds')}
        />
      </div>
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
      <fieldset className="extensions">
        <legend>Extensions</legend>
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
      <h3>Approval steps</h3>
      {!steps.length && <p className="muted">No steps: tickets are approved as soon as they are raised.</p>}
      {steps.map((step, i) => (
        <StepEditor
          key={i}
          step={step}
          index={i}
          count={steps.length}
          path={`${path}.approval.steps[${i}]`}
          problems={problems}
          onChange={(s) => setSteps(steps.map((x, j) => (j === i ? s : x)))}
          onMove={(to) => setSteps(moved(steps, i, to))}
          onRemove={() => setSteps(steps.filter((_, j) => j !== i))}
        />
      ))}
      <button type="button" onClick={() => setSteps([...steps, emptyStep(steps.length + 1)])}>
        Add step
      </button>
    </section>
  );
}
