// The app being edited, as the forms hold it, and the PUT body it becomes. Pure, so it is unit-tested.
import type { AdminApp, AppBody, AppStep } from '../../../api/admin-apps';

export interface AppDraft {
  /** Typed for a new app; fixed once it exists. */
  id: string;
  body: AppBody;
}

export const HOUR = 3600;

export function emptyStep(n: number): AppStep {
  return { name: `Step ${n}`, approvers: [], minApprovals: 1 };
}

export function newDraft(): AppDraft {
  return {
    id: '',
    body: {
      name: '',
      connector: { type: 'demo', config: {} },
      entitlements: [],
      licenses: [],
      policy: { requireReason: true, approval: { steps: [emptyStep(1)] } },
      revision: 0, // a new app: the PUT creates only, never replaces one someone else just made
    },
  };
}

export function draftOf(app: AdminApp): AppDraft {
  const { id, revision, name, connector, entitlements, licenses, policy } = app;
  return { id, body: { name, connector, entitlements, licenses: licenses ?? [], policy, revision } };
}

/** Hours as the forms show them; undefined for an empty input. */
export function secondsFromHours(text: string): number | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? Math.round(n * HOUR) : NaN;
}

export function hoursFromSeconds(seconds: number | undefined): string {
  return seconds === undefined ? '' : String(Math.round((seconds / HOUR) * 100) / 100);
}

/** Removes keys whose value is undefined, so an emptied input leaves the setting out of the body. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Moves item `from` of a list to `to` (for the step order). */
export function moved<T>(list: T[], from: number, to: number): T[] {
  if (to < 0 || to >= list.length) return list;
  const copy = [...list];
  const [item] = copy.splice(from, 1);
  copy.splice(to, 0, item);
  return copy;
}

/** What the API's validation says about `path` and everything under it, as sentences. */
export function problemsAt(problems: Map<string, string>, path: string): string[] {
  return [...problems.entries()]
    .filter(([p]) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`))
    .map(([p, m]) => (p === path ? m : `${p.slice(path.length).replace(/^\./, '')}: ${m}`));
}
