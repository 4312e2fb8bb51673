import { Injectable, Logger } from '@nestjs/common';
import { api } from '@pagerduty/pdjs';

/** How long an answer from PagerDuty is reused: on-call changes at shift boundaries, creates come in bursts. */
export const ONCALL_CACHE_MS = 60_000;
/** A lookup waits this long for PagerDuty before the requester is taken as not on call. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Pages read at most per lookup (100 on-calls each): a bound against a server that always says `more`. */
const MAX_PAGES = 10;

export interface OnCallSettings {
  /** PAGERDUTY_TOKEN: a REST API key (read-only is enough); null: on-call lookups are off. */
  token: string | null;
  /** PAGERDUTY_API_URL, without a trailing slash. */
  apiUrl: string;
  /**
   * PAGERDUTY_SCHEDULES: app id → the PagerDuty schedule ids whose on-call people count as on call for it,
   * for apps and entitlements whose policy names no schedules of its own (`policy.onCall`).
   */
  schedulesByApp: Map<string, string[]>;
}

/**
 * Reads `PAGERDUTY_SCHEDULES`: `app=SCHEDULE[,SCHEDULE...]` entries separated by spaces or semicolons,
 * e.g. `payments=PABC123,PDEF456;billing=PXYZ789`. Throws on an entry that is not of that form.
 */
export function parseSchedules(value: string | undefined): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const entry of (value ?? '').split(/[\s;]+/).filter(Boolean)) {
    const match = /^([^=]+)=([A-Za-z0-9,]+)$/.exec(entry);
    if (!match) throw new Error(`PAGERDUTY_SCHEDULES: "${entry}" is not app=SCHEDULE_ID[,SCHEDULE_ID...]`);
    const ids = match[2].split(',').filter(Boolean);
    map.set(match[1], [...new Set([...(map.get(match[1]) ?? []), ...ids])]);
  }
  return map;
}

export function loadOnCallSettings(env: NodeJS.ProcessEnv): OnCallSettings {
  return {
    token: env.PAGERDUTY_TOKEN?.trim() || null,
    apiUrl: (env.PAGERDUTY_API_URL?.trim() || 'https://api.pagerduty.com').replace(/\/+$/, ''),
    schedulesByApp: parseSchedules(env.PAGERDUTY_SCHEDULES),
  };
}

/** One current shift of a user: the schedule and when the shift ends (null: PagerDuty gave no end). */
export interface OnCallShift {
  scheduleId: string;
  end: string | null;
}

/** The later of two shift ends; null (no end given) is later than any. */
function laterEnd(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return null;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

interface OnCallEntry {
  schedule?: { id?: string } | null;
  user?: { id?: string; email?: string } | null;
  end?: string | null;
}

/**
 * Who is on call now, from PagerDuty's `GET /oncalls`, for the schedules mapped to an app. One lookup per
 * app's set of schedules answers for every user (matched by email) and is reused for ONCALL_CACHE_MS.
 * PagerDuty unreachable or answering an error: nobody is on call (fail closed) and a warning is logged;
 * failures are not cached, so the next request asks again.
 */
@Injectable()
export class PagerDutyOnCall {
  private readonly logger = new Logger('oncall');
  private readonly cache = new Map<string, { at: number; entries: Promise<OnCallEntry[]> }>();

  constructor(private readonly settings: OnCallSettings) {}

  /**
   * The shifts `email` is on now in `schedules` (the policy's `onCall`), or when the policy names none in
   * the schedules PAGERDUTY_SCHEDULES maps to `appId`; empty when lookups are off or failed.
   */
  async shiftsOf(
    appId: string,
    email: string | null,
    schedules = this.settings.schedulesByApp.get(appId),
  ): Promise<OnCallShift[]> {
    if (!this.settings.token || !schedules?.length || !email) return [];
    let entries: OnCallEntry[];
    try {
      entries = await this.current(schedules);
    } catch (err) {
      this.logger.warn(
        `PagerDuty on-call lookup failed for ${appId}, treating ${email} as not on call: ${String(err)}`,
      );
      return [];
    }
    const who = email.toLowerCase();
    const shifts = new Map<string, string | null>();
    for (const e of entries) {
      const id = e.schedule?.id;
      if (!id || e.user?.email?.toLowerCase() !== who) continue;
      // Several escalation levels of one schedule: the latest end is when the user stops being on call.
      shifts.set(id, shifts.has(id) ? laterEnd(shifts.get(id) ?? null, e.end ?? null) : (e.end ?? null));
    }
    return [...shifts].map(([scheduleId, end]) => ({ scheduleId, end }));
  }

  private current(schedules: string[]): Promise<OnCallEntry[]> {
    const key = [...schedules].sort().join(',');
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < ONCALL_CACHE_MS) return hit.entries;
    const entries = this.fetch(schedules);
    this.cache.set(key, { at: Date.now(), entries });
    entries.catch(() => {
      if (this.cache.get(key)?.entries === entries) this.cache.delete(key);
    });
    return entries;
  }

  /** Every current on-call of the schedules, with full user objects (`include[]=users` carries the email). */
  private async fetch(schedules: string[]): Promise<OnCallEntry[]> {
    const all: OnCallEntry[] = [];
    for (let page = 0, offset = 0; page < MAX_PAGES; page++) {
      const res = await api({
        url: `${this.settings.apiUrl}/oncalls`,
        token: this.settings.token ?? '',
        requestTimeout: REQUEST_TIMEOUT_MS,
        data: { 'schedule_ids[]': schedules, 'include[]': ['users'], limit: 100, offset },
      }).catch((res: unknown) => {
        // pdjs rejects with the response itself when its body is not JSON.
        throw new Error(res instanceof Error ? res.message : `HTTP ${(res as Response).status}`);
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = res.data as { oncalls?: OnCallEntry[]; more?: boolean };
      if (!Array.isArray(body.oncalls)) throw new Error('answer without oncalls');
      all.push(...body.oncalls);
      if (!body.more || !body.oncalls.length) return all;
      offset += body.oncalls.length;
    }
    return all;
  }
}
