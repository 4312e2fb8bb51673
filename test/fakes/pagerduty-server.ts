/**
 * A fake of the PagerDuty REST API v2, as documented at developer.pagerduty.com/api-reference, for the one
 * endpoint the on-call lookup calls: `GET /oncalls` (filters `schedule_ids[]`, `user_ids[]`, `include[]=users`,
 * offset pagination with `limit`/`offset`/`more`). It checks `Authorization: Token token=<token>` and answers
 * errors with PagerDuty's `{ error: { message, code } }`.
 */
import express, { type Request, type Response } from 'express';
import { FaultQueue, listenOnLoopback, recordRequests, type RecordedRequest, type RunningFake } from './fake-http';

export interface PagerDutyFakeUser {
  id: string;
  name: string;
  email: string;
}

export interface PagerDutyFakeOnCall {
  userId: string;
  scheduleId: string;
  /** ISO times of the shift. */
  start: string;
  end: string;
  escalationLevel?: number;
}

export interface PagerDutyFakeState {
  token: string;
  users: Map<string, PagerDutyFakeUser>;
  oncalls: PagerDutyFakeOnCall[];
  faults: FaultQueue;
  requests: RecordedRequest[];
}

/** `schedule_ids[]` as Express parses it: one value, several, or none. */
function listParam(req: Request, name: string): string[] | null {
  const value = req.query[`${name}[]`] ?? req.query[name];
  if (value === undefined) return null;
  return (Array.isArray(value) ? value : [value]).map(String);
}

function error(res: Response, status: number, code: number, message: string) {
  res.status(status).json({ error: { message, code } });
}

export async function startPagerDutyFake(seed: {
  token: string;
  users?: PagerDutyFakeUser[];
  oncalls?: PagerDutyFakeOnCall[];
}): Promise<RunningFake<PagerDutyFakeState>> {
  const state: PagerDutyFakeState = {
    token: seed.token,
    users: new Map((seed.users ?? []).map((u) => [u.id, u])),
    oncalls: seed.oncalls ?? [],
    faults: new FaultQueue(),
    requests: [],
  };
  const app = express();
  // Express would read `a[]=1` as `a: ['1']`; keep PagerDuty's literal `a[]` keys instead.
  app.set('query parser', 'simple');
  app.use(recordRequests(state.requests));
  app.use(state.faults.middleware());
  app.use((req, res, next) => {
    if (req.header('authorization') !== `Token token=${state.token}`) return error(res, 401, 2006, 'Unauthorized');
    next();
  });

  app.get('/oncalls', (req, res) => {
    const schedules = listParam(req, 'schedule_ids');
    const users = listParam(req, 'user_ids');
    const includeUsers = (listParam(req, 'include') ?? []).includes('users');
    const limit = Math.min(Number(req.query.limit ?? 25), 100);
    const offset = Number(req.query.offset ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset) || offset < 0)
      return error(res, 400, 2001, 'Invalid Input Provided');
    // Without since/until PagerDuty answers who is on call now.
    const now = Date.now();
    const matching = state.oncalls.filter(
      (o) =>
        Date.parse(o.start) <= now &&
        now < Date.parse(o.end) &&
        (!schedules || schedules.includes(o.scheduleId)) &&
        (!users || users.includes(o.userId)),
    );
    const page = matching.slice(offset, offset + limit);
    res.json({
      oncalls: page.map((o) => {
        const user = state.users.get(o.userId);
        const ref = { id: o.userId, type: 'user_reference', summary: user?.name ?? o.userId };
        return {
          escalation_policy: { id: 'PEP0001', type: 'escalation_policy_reference' },
          escalation_level: o.escalationLevel ?? 1,
          schedule: { id: o.scheduleId, type: 'schedule_reference' },
          user: includeUsers && user ? { ...ref, type: 'user', name: user.name, email: user.email } : ref,
          start: o.start,
          end: o.end,
        };
      }),
      limit,
      offset,
      more: offset + page.length < matching.length,
      total: null,
    });
  });

  const { url, close } = await listenOnLoopback(app);
  return { url, state, close };
}
