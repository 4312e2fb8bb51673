// The app's entitlements (id, name, kind, license, description, extra fields, a policy of its own) and
// its licenses with their seat usage. A row per item; Add and Remove buttons; fields of an entitlement in
// a nested list; its policy, over the app's, behind a disclosure that starts open when it has one.
import { useId, useState } from 'react';
import {
  ENTITLEMENT_KINDS,
  FIELD_TYPES,
  type AppEntitlement,
  type AppField,
  type AppLicense,
  type AppPolicy,
  type LicenseUsage,
} from '../../../api/admin-apps';
import { defined, problemsAt } from './draft';
import { POLICY_FIELD_NAMES, PolicyOverrideEditor, Problems } from './PolicyEditor';

function FieldRow({
  field,
  index,
  path,
  problems,
  onChange,
  onRemove,
}: {
  field: AppField;
  index: number;
  path: string;
  problems: Map<string, string>;
  onChange: (f: AppField) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const set = (patch: Partial<AppField>) => onChange(defined({ ...field, ...patch }));
  return (
    <li className="field-row">
      <div className="row">
        <div className="field">
          <label htmlFor={`${id}-key`}>Field key</label>
          <input id={`${id}-key`} value={field.key} onChange={(e) => set({ key: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-label`}>Field label</label>
          <input id={`${id}-label`} value={field.label} onChange={(e) => set({ label: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-type`}>Field type</label>
          <select
            id={`${id}-type`}
            value={field.type}
            onChange={(e) => set({ type: e.target.value as AppField['type'] })}
          >
            {FIELD_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </div>
        {field.type === 'enum' && (
          <div className="field">
            <label htmlFor={`${id}-options`}>Options (comma-separated)</label>
            <input
              id={`${id}-options`}
              value={(field.options ?? []).join(',')}
              onChange={(e) =>
                set({
                  options: e.target.value
                    .split(',')
                    .map((s) => s.trim())
                    .filter(Boolean),
                })
              }
            />
          </div>
        )}
        {field.type === 'string' && (
          <div className="field">
            <label htmlFor={`${id}-pattern`}>Pattern (regular expression)</label>
            <input
              id={`${id}-pattern`}
              value={field.pattern ?? ''}
              onChange={(e) => set({ pattern: e.target.value || undefined })}
            />
          </div>
        )}
      </div>
      <div className="field toggle">
        <input
          id={`${id}-req`}
          type="checkbox"
          checked={field.required === true}
          onChange={(e) => set({ required: e.target.checked || undefined })}
        />
        <label htmlFor={`${id}-req`}>Required</label>
        <button type="button" className="small" onClick={onRemove}>
          Remove field {index + 1}
        </button>
      </div>
      <Problems list={problemsAt(problems, path)} />
    </li>
  );
}

function EntitlementRow({
  entitlement: e,
  index,
  licenses,
  appPolicy,
  problems,
  onChange,
  onRemove,
}: {
  entitlement: AppEntitlement;
  index: number;
  licenses: AppLicense[];
  appPolicy: AppPolicy;
  problems: Map<string, string>;
  onChange: (e: AppEntitlement) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const path = `entitlements[${index}]`;
  const at = (f: string) => problemsAt(problems, `${path}.${f}`);
  const set = (patch: Partial<AppEntitlement>) => onChange(defined({ ...e, ...patch }));
  const fields = e.fields ?? [];
  const [policyOpen, setPolicyOpen] = useState(e.policy !== undefined);
  const own = Object.keys(e.policy ?? {}) as (keyof AppPolicy)[];
  return (
    <fieldset className="card entitlement-editor">
      <legend>
        Entitlement {index + 1}: {e.name || e.id || 'new'}
      </legend>
      <div className="row">
        <div className="field">
          <label htmlFor={`${id}-id`}>Entitlement id</label>
          <input
            id={`${id}-id`}
            value={e.id}
            aria-invalid={at('id').length > 0}
            onChange={(ev) => set({ id: ev.target.value })}
          />
          <Problems list={at('id')} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-name`}>Entitlement name</label>
          <input
            id={`${id}-name`}
            value={e.name}
            aria-invalid={at('name').length > 0}
            onChange={(ev) => set({ name: ev.target.value })}
          />
          <Problems list={at('name')} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-kind`}>Kind</label>
          <select
            id={`${id}-kind`}
            value={e.kind}
            onChange={(ev) => set({ kind: ev.target.value as AppEntitlement['kind'] })}
          >
            {ENTITLEMENT_KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-license`}>License</label>
          <select
            id={`${id}-license`}
            value={e.licenseId ?? ''}
            aria-invalid={at('licenseId').length > 0}
            onChange={(ev) => set({ licenseId: ev.target.value || undefined })}
          >
            <option value="">none</option>
            {licenses.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name || l.id}
              </option>
            ))}
          </select>
          <Problems list={at('licenseId')} />
        </div>
      </div>
      <div className="field">
        <label htmlFor={`${id}-desc`}>Description</label>
        <input
          id={`${id}-desc`}
          value={e.description ?? ''}
          onChange={(ev) => set({ description: ev.target.value || undefined })}
        />
      </div>
      <details className="entitlement-policy" open={policyOpen} onToggle={(ev) => setPolicyOpen(ev.currentTarget.open)}>
        <summary>
          Policy of its own: {own.length ? own.map((k) => POLICY_FIELD_NAMES[k]).join(', ') : "none, the app's applies"}
        </summary>
        {policyOpen && (
          <PolicyOverrideEditor
            policy={e.policy}
            app={appPolicy}
            label={`Policy of entitlement ${index + 1}`}
            path={`${path}.policy`}
            problems={problems}
            onChange={(policy) => set({ policy })}
          />
        )}
      </details>
      {!policyOpen && <Problems list={at('policy')} />}
      <h4>Extra fields the requester fills in</h4>
      <ul className="fields-list">
        {fields.map((f, j) => (
          <FieldRow
            key={j}
            field={f}
            index={j}
            path={`${path}.fields[${j}]`}
            problems={problems}
            onChange={(next) => set({ fields: fields.map((x, k) => (k === j ? next : x)) })}
            onRemove={() => set({ fields: fields.length > 1 ? fields.filter((_, k) => k !== j) : undefined })}
          />
        ))}
      </ul>
      <div className="actions">
        <button
          type="button"
          onClick={() =>
            set({ fields: [...fields, { key: `field${fields.length + 1}`, label: 'Field', type: 'string' }] })
          }
        >
          Add field <span className="visually-hidden">to entitlement {index + 1}</span>
        </button>
        <button type="button" className="danger" onClick={onRemove}>
          Remove entitlement {index + 1}
        </button>
      </div>
    </fieldset>
  );
}

export function EntitlementsEditor({
  entitlements,
  licenses,
  appPolicy,
  problems,
  onChange,
}: {
  entitlements: AppEntitlement[];
  licenses: AppLicense[];
  /** What an entitlement's own policy inherits. */
  appPolicy: AppPolicy;
  problems: Map<string, string>;
  onChange: (e: AppEntitlement[]) => void;
}) {
  return (
    <section aria-labelledby="entitlements-title">
      <h2 id="entitlements-title">Entitlements</h2>
      {!entitlements.length && <p className="muted">None yet: add what people can ask for.</p>}
      {entitlements.map((e, i) => (
        <EntitlementRow
          key={i}
          entitlement={e}
          index={i}
          licenses={licenses}
          appPolicy={appPolicy}
          problems={problems}
          onChange={(next) => onChange(entitlements.map((x, j) => (j === i ? next : x)))}
          onRemove={() => onChange(entitlements.filter((_, j) => j !== i))}
        />
      ))}
      <Problems list={problemsAt(problems, 'entitlements').filter((p) => !p.startsWith('['))} />
      <button type="button" onClick={() => onChange([...entitlements, { id: '', kind: 'group', name: '' }])}>
        Add entitlement
      </button>
    </section>
  );
}

export function LicensesEditor({
  licenses,
  usage,
  problems,
  onChange,
}: {
  licenses: AppLicense[];
  usage: LicenseUsage[] | null;
  problems: Map<string, string>;
  onChange: (l: AppLicense[]) => void;
}) {
  const id = useId();
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Licenses</h2>
      {!licenses.length && <p className="muted">No licenses: no entitlement takes a seat.</p>}
      {licenses.length > 0 && (
        <table className="licenses">
          <thead>
            <tr>
              <th scope="col">License id</th>
              <th scope="col">Name</th>
              <th scope="col">Seats</th>
              <th scope="col">In use</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {licenses.map((l, i) => {
              const used = usage?.find((u) => u.id === l.id);
              const set = (patch: Partial<AppLicense>) =>
                onChange(licenses.map((x, j) => (j === i ? { ...l, ...patch } : x)));
              const at = (f: string) => problemsAt(problems, `licenses[${i}].${f}`);
              return (
                <tr key={i}>
                  <td>
                    <input
                      aria-label={`License ${i + 1} id`}
                      value={l.id}
                      aria-invalid={at('id').length > 0}
                      onChange={(e) => set({ id: e.target.value })}
                    />
                    <Problems list={at('id')} />
                  </td>
                  <td>
                    <input
                      aria-label={`License ${i + 1} name`}
                      value={l.name}
                      onChange={(e) => set({ name: e.target.value })}
                    />
                  </td>
                  <td>
                    <input
                      aria-label={`License ${i + 1} seats`}
                      type="number"
                      min={0}
                      value={l.seats}
                      aria-invalid={at('seats').length > 0}
                      onChange={(e) => set({ seats: Number(e.target.value) })}
                    />
                    <Problems list={at('seats')} />
                  </td>
                  <td>{used ? `${used.used} of ${used.seats} (${used.available} free)` : '—'}</td>
                  <td>
                    <button
                      type="button"
                      className="small"
                      onClick={() => onChange(licenses.filter((_, j) => j !== i))}
                    >
                      Remove license {i + 1}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <button type="button" onClick={() => onChange([...licenses, { id: '', name: '', seats: 1 }])}>
        Add license
      </button>
    </section>
  );
}
