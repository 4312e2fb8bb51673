/**
 * Random schedules of what people and the world do to a few users' access to overlapping entitlements of
 * one app. A schedule is generated from its seed alone; steps that name a ticket carry a number in [0, 1)
 * that picks one of the tickets it applies to when it runs (the first pending one, say), so a step that
 * finds no such ticket is skipped rather than sent blind.
 */
import { Random } from './prng';

export const USERS = ['alice', 'bob', 'mallory'] as const;
export const ENTITLEMENTS = ['eng', 'ops', 'db'] as const;

export type Step =
  /** `approvedBy`: an approver decides right after the create, within the same step (most requests are approved quickly). */
  | {
      op: 'create';
      user: string;
      entitlements: string[];
      startIn: number;
      seconds: number | null;
      approvedBy: 'carol' | 'dave' | null;
    }
  | { op: 'approve'; pick: number; by: 'carol' | 'dave'; seconds: number | null }
  | { op: 'reject'; pick: number }
  | { op: 'cancel'; pick: number }
  | { op: 'race'; pick: number; with: 'approve' | 'reject' | 'cancel' }
  | { op: 'extend'; pick: number; seconds: number }
  | { op: 'reraise'; pick: number; seconds: number }
  | { op: 'modify'; user: string; add: string; pick: number; seconds: number }
  | { op: 'remove'; user: string; pick: number }
  | { op: 'revoke'; pick: number; admin: boolean }
  | { op: 'retry'; pick: number }
  | { op: 'wait'; seconds: number }
  | { op: 'restartWorker' }
  | { op: 'targetDown'; seconds: number }
  | { op: 'targetRefuses'; entitlement: string; seconds: number };

export interface Schedule {
  seed: number;
  users: string[];
  entitlements: string[];
  /** Access held in the target before Gatehouse: `user/entitlement`. */
  preheld: string[];
  /** The policy's pending timeout, when this schedule has one. */
  pendingTimeoutSeconds: number | null;
  steps: Step[];
}

export function generateSchedule(seed: number, size = { min: 6, max: 9 }): Schedule {
  const r = new Random(seed);
  const users = USERS.slice(0, r.int(2, 3));
  const entitlements = ENTITLEMENTS.slice(0, r.int(2, 3));
  const preheld = r.chance(0.4) ? [`${r.pick(users)}/${r.pick(entitlements)}`] : [];
  const pendingTimeoutSeconds = r.chance(0.2) ? r.int(4, 8) : null;
  const steps: Step[] = [];
  let restarts = 0;
  const count = r.int(size.min, size.max);
  // The first steps create and approve, so later ones have tickets to act on.
  while (steps.length < count) {
    const early = steps.length < 2;
    const op = early
      ? r.chance(0.7) || steps.length === 0
        ? 'create'
        : 'approve'
      : r.weighted({
          create: 4,
          approve: 5,
          reject: 0.7,
          cancel: 0.7,
          race: 1.2,
          extend: 1.2,
          reraise: 0.8,
          modify: 0.8,
          remove: 0.8,
          revoke: 1.5,
          retry: 0.6,
          wait: 2,
          restartWorker: restarts ? 0 : 0.5,
          targetDown: 0.7,
          targetRefuses: 0.5,
        });
    const seconds = () => r.int(2, 7);
    switch (op) {
      case 'create': {
        // Often the same person and entitlement as the last request: overlapping tickets are where access goes wrong.
        const last = [...steps].reverse().find((s): s is Extract<Step, { op: 'create' }> => s.op === 'create');
        const again = last !== undefined && r.chance(0.4);
        const first = again ? last.entitlements[0] : r.pick(entitlements);
        const second = r.chance(0.3) ? r.pick(entitlements.filter((e) => e !== first)) : null;
        const indefinite = r.chance(0.12);
        const user = again ? last.user : r.pick(users);
        const startIn = indefinite || r.chance(0.5) ? 0 : r.int(2, 8);
        const approvedBy = r.chance(0.5) ? r.pick(['carol', 'dave'] as const) : null;
        steps.push({
          op,
          user,
          entitlements: second ? [first, second] : [first],
          startIn,
          seconds: indefinite ? null : seconds(),
          approvedBy,
        });
        break;
      }
      case 'approve':
        steps.push({
          op,
          pick: r.next(),
          by: r.chance(0.7) ? 'carol' : 'dave',
          seconds: r.chance(0.15) ? seconds() : null,
        });
        break;
      case 'race':
        steps.push({ op, pick: r.next(), with: r.pick(['approve', 'reject', 'cancel'] as const) });
        break;
      case 'extend':
        steps.push({ op, pick: r.next(), seconds: r.int(2, 5) });
        break;
      case 'reraise':
        steps.push({ op, pick: r.next(), seconds: seconds() });
        break;
      case 'modify': {
        steps.push({ op, user: r.pick(users), add: r.pick(entitlements), pick: r.next(), seconds: seconds() });
        break;
      }
      case 'remove':
        steps.push({ op, user: r.pick(users), pick: r.next() });
        break;
      case 'revoke':
        steps.push({ op, pick: r.next(), admin: r.chance(0.4) });
        break;
      case 'wait':
        steps.push({ op, seconds: r.int(1, 4) });
        break;
      case 'restartWorker':
        restarts++;
        steps.push({ op });
        break;
      case 'targetDown':
        steps.push({ op, seconds: r.int(2, 4) });
        break;
      case 'targetRefuses':
        steps.push({ op, entitlement: r.pick(entitlements), seconds: r.int(3, 8) });
        break;
      default:
        steps.push({ op, pick: r.next() });
    }
  }
  return { seed, users, entitlements, preheld, pendingTimeoutSeconds, steps };
}

/** One line per step, for failure reports and `--seed N --print`. */
export function describeStep(step: Step): string {
  const { op, ...rest } = step;
  const args = Object.entries(rest)
    .map(
      ([k, v]) =>
        `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : Array.isArray(v) ? v.join('+') : String(v)}`,
    )
    .join(' ');
  return args ? `${op} ${args}` : op;
}

/**
 * Hand-written schedules of situations the random ones reach only now and then, run by the same checker
 * on every `npm test`. Their seeds are negative so they never collide with generated ones.
 */
export const KNOWN_SCHEDULES: (Schedule & { name: string })[] = [
  {
    name: 'a scheduled ticket ends while an overlapping ticket still grants the same access',
    seed: -1,
    users: ['alice'],
    entitlements: ['eng'],
    preheld: [],
    pendingTimeoutSeconds: null,
    steps: [
      { op: 'create', user: 'alice', entitlements: ['eng'], startIn: 8, seconds: 4, approvedBy: null },
      { op: 'approve', pick: 0, by: 'carol', seconds: null },
      { op: 'create', user: 'alice', entitlements: ['eng'], startIn: 0, seconds: 20, approvedBy: null },
      { op: 'approve', pick: 0, by: 'carol', seconds: null },
      { op: 'wait', seconds: 14 },
    ],
  },
  {
    name: 'access held before Gatehouse stays when the ticket that also granted it expires',
    seed: -2,
    users: ['alice'],
    entitlements: ['eng'],
    preheld: ['alice/eng'],
    pendingTimeoutSeconds: null,
    steps: [
      { op: 'create', user: 'alice', entitlements: ['eng'], startIn: 0, seconds: 3, approvedBy: null },
      { op: 'approve', pick: 0, by: 'carol', seconds: null },
      { op: 'wait', seconds: 4 },
    ],
  },
  {
    name: 'revoking a ticket that failed half-way removes what it granted',
    seed: -3,
    users: ['alice'],
    entitlements: ['eng', 'ops'],
    preheld: [],
    pendingTimeoutSeconds: null,
    steps: [
      { op: 'targetRefuses', entitlement: 'ops', seconds: 30 },
      { op: 'create', user: 'alice', entitlements: ['eng', 'ops'], startIn: 0, seconds: null, approvedBy: null },
      { op: 'approve', pick: 0, by: 'carol', seconds: null },
      { op: 'revoke', pick: 0, admin: false },
    ],
  },
];
