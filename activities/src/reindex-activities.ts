/**
 * The read-model rebuild (docs/operations.md, "Rebuilding the read model"): writes MongoDB again from
 * Temporal. Phase one lists the ticket workflows through visibility and writes each ticket as its workflow
 * last persisted it; phase two rebuilds what the read model derives from the tickets (./reindex-derived).
 *
 * A ticket is read from its workflow's history, not from a query: the newest `persistTicketState` or
 * `writeTicket` (the same write, with the events it published after it) the run scheduled carries the
 * whole write (ticket, state, version, run id) in its input, as the newest `writeTicketLocal` (a local
 * activity, patch `local-writes`) does in its marker's result, so the rebuilt document is the one
 * the workflow wrote, version included. A query answers the state without its version, and would make a
 * worker replay every workflow it does not have cached; the history is read from the server alone, so the
 * rebuild also runs with the workers stopped. A completed workflow's result (its final state) is preferred
 * to its last persist; a run that has not persisted yet is read from its start (the state it was continued
 * with, or a new ticket's first state, as the gateway writes it). Writes go through `persistState`, so a
 * version already stored is left alone and a workflow persisting meanwhile is never rolled back.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import {
  newTicketState,
  type NotificationActivities,
  type PersistTicketStateInput,
  type ReindexActivities,
  type ReindexDerivedInput,
  type ReindexDerivedResult,
  type ReindexError,
  type ReindexPageInput,
  type ReindexPageResult,
  type TicketActivities,
  type TicketState,
  type TicketWorkflowInput,
  type WriteTicketInput,
} from '@gatehouse/domain';
import { isDuplicateKeyError, type Store } from '@gatehouse/store';
import { derive, DERIVING_TICKET_FIELDS, type DerivingTicket } from './reindex-derived';

/** The activities whose scheduled input is a whole read-model write. */
const WRITES = new Set<string>([
  'persistTicketState' satisfies keyof TicketActivities,
  'writeTicket' satisfies keyof NotificationActivities,
]);
/** The local activity whose result is a whole read-model write (recorded as a `core_local_activity` marker). */
const LOCAL_WRITE = 'writeTicketLocal' satisfies keyof NotificationActivities;
/** The marker of a local activity: `data` is the SDK core's own JSON about the call, `result` its answer. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** Tickets read and written at once within a page. */
const PARALLEL = 8;

export interface Reindexer {
  ticketsPage(input: ReindexPageInput): Promise<ReindexPageResult>;
  derived(input: ReindexDerivedInput): Promise<ReindexDerivedResult>;
}

export interface ReindexDeps {
  store: Store;
  client: Client;
  namespace: string;
  /** Called as work progresses (an activity heartbeats). */
  onProgress?: () => void;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The rebuild's steps over a Temporal client and a store: the activities' and `npm run reindex`'s. */
export function createReindexer({ store, client, namespace, onProgress = () => undefined }: ReindexDeps): Reindexer {
  const service = client.workflowService;
  const decode = <T>(payloads: temporal.api.common.v1.IPayloads | null | undefined): Promise<T> =>
    decodeFromPayloadsAtIndex<T>(client.options.loadedDataConverter, 0, payloads?.payloads);

  /** The write the run last made (or would make first), read backwards from the end of its history. */
  async function lastWrite(workflowId: string, runId: string): Promise<PersistTicketStateInput> {
    let result: TicketState | null = null;
    let nextPageToken: Uint8Array | undefined;
    for (;;) {
      const page = await service.getWorkflowExecutionHistoryReverse({
        namespace,
        execution: { workflowId, runId },
        maximumPageSize: 100,
        nextPageToken,
      });
      for (const event of page.history?.events ?? []) {
        const completed = event.workflowExecutionCompletedEventAttributes;
        if (completed) result = await decode<TicketState>(completed.result);
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled && WRITES.has(scheduled.activityType?.name ?? '')) {
          // The events are not part of the ticket: the write alone goes to `persistState`.
          const { events: _, ...write } = await decode<PersistTicketStateInput & Partial<WriteTicketInput>>(
            scheduled.input,
          );
          return result ? { ...write, state: result } : write;
        }
        const marker = event.markerRecordedEventAttributes;
        if (marker?.markerName === LOCAL_ACTIVITY_MARKER && marker.details?.result?.payloads?.length) {
          const about = marker.details.data?.payloads?.[0]?.data;
          const type = about ? (JSON.parse(Buffer.from(about).toString('utf8')) as { activity_type?: string }) : null;
          if (type?.activity_type === LOCAL_WRITE) {
            const write = await decode<PersistTicketStateInput>(marker.details.result);
            return result ? { ...write, state: result } : write;
          }
        }
        const started = event.workflowExecutionStartedEventAttributes;
        if (started) {
          const ticket = await decode<TicketWorkflowInput>(started.input);
          const resume = ticket.resume;
          return resume
            ? {
                ticketId: ticket.ticketId,
                version: resume.version,
                state: result ?? resume.state,
                ticket,
                // The previous run wrote that version; this one has not written yet.
                runId: started.continuedExecutionRunId ?? runId,
              }
            : { ticketId: ticket.ticketId, version: 0, state: result ?? newTicketState(ticket), ticket, runId: '' };
        }
      }
      if (!page.nextPageToken?.length) throw new Error(`the history of ${workflowId} has no start event`);
      nextPageToken = page.nextPageToken;
    }
  }

  async function ticketsPage(input: ReindexPageInput): Promise<ReindexPageResult> {
    const query =
      `WorkflowType = '${input.workflowType}' AND TaskQueue = '${input.taskQueue}'` +
      ` AND ExecutionStatus != 'ContinuedAsNew'`;
    const listed = await service.listWorkflowExecutions({
      namespace,
      query,
      pageSize: input.pageSize,
      nextPageToken: input.nextPageToken ? Buffer.from(input.nextPageToken, 'base64') : undefined,
    });
    // Each ticket's rows in the feed and its slots start from wherever the feed ends now.
    store.tickets.feed.relocate();
    const executions = (listed.executions ?? []).filter((e) => e.execution?.workflowId && e.execution.runId);
    const result: ReindexPageResult = {
      seen: executions.length,
      written: 0,
      current: 0,
      errors: [],
      nextPageToken: null,
    };
    for (let from = 0; from < executions.length; from += PARALLEL) {
      await Promise.all(
        executions.slice(from, from + PARALLEL).map(async ({ execution }) => {
          const { workflowId, runId } = execution!;
          try {
            const write = await lastWrite(workflowId!, runId!);
            const { written } = await store.tickets.persistState(write);
            if (written) result.written++;
            else result.current++;
          } catch (err) {
            result.errors.push({ ticketId: workflowId!, message: messageOf(err) });
          }
        }),
      );
      onProgress();
    }
    if (listed.nextPageToken?.length) result.nextPageToken = Buffer.from(listed.nextPageToken).toString('base64');
    return result;
  }

  /** Inserts a document unless its `_id` is taken; says whether it did. */
  async function insertAbsent(collection: { insertOne(doc: never): Promise<unknown> }, doc: object): Promise<boolean> {
    try {
      await collection.insertOne(doc as never);
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return false;
    }
  }

  async function derived({ ticketNumberStart }: ReindexDerivedInput): Promise<ReindexDerivedResult> {
    const projection = Object.fromEntries(DERIVING_TICKET_FIELDS.map((f) => [f, 1]));
    const tickets: DerivingTicket[] = [];
    for await (const doc of store.tickets.model.collection.find({}, { projection })) {
      tickets.push(doc as unknown as DerivingTicket);
      if (tickets.length % 1000 === 0) onProgress();
    }
    const d = derive(tickets, ticketNumberStart);
    const errors: ReindexError[] = [];
    const result: ReindexDerivedResult = {
      grantsWritten: 0,
      seatsWritten: 0,
      claimsWritten: 0,
      ticketNumbersWritten: 0,
      childLinksWritten: 0,
      errors,
    };
    const attempt = async (ticketId: string | null, write: () => Promise<boolean | void>, count: () => void) => {
      try {
        if ((await write()) !== false) count();
      } catch (err) {
        errors.push({ ticketId, message: messageOf(err) });
      }
      onProgress();
    };

    // A number taken by a ticket is never handed out again; a claim keeps a second pending ticket out.
    for (const n of d.ticketNumbers) {
      await attempt(
        null,
        () => insertAbsent(store.ticketNumbers.model.collection, n),
        () => result.ticketNumbersWritten++,
      );
    }
    for (const claim of d.claims) {
      await attempt(
        claim.ticketId,
        () => insertAbsent(store.claims.model.collection, claim),
        () => result.claimsWritten++,
      );
    }
    for (const { parentId, childId } of d.childLinks) {
      await attempt(
        childId,
        () => store.tickets.addChild(parentId, childId),
        () => result.childLinksWritten++,
      );
    }
    // Each grant under its lease, so no grant activity's read-modify-write interleaves with this one.
    for (const grant of d.grants) {
      await attempt(
        grant.holders[0]?.ticketId ?? (grant.ticketId || null),
        () =>
          store.grants.exclusive(grant.appId, grant.userId, grant.entitlementId, async () => {
            await store.grants.save(grant);
          }),
        () => result.grantsWritten++,
      );
    }
    for (const seat of d.seats) {
      await attempt(
        seat.ticketId,
        () => restoreSeat(store, seat),
        () => result.seatsWritten++,
      );
    }
    return result;
  }

  return { ticketsPage, derived };
}

/** Gives the user a seat of the license again, in the first free slot, unless they hold one. */
async function restoreSeat(
  store: Store,
  seat: { appId: string; licenseId: string; userId: string; ticketId: string; at: string },
): Promise<boolean> {
  const license = `${seat.appId}:${seat.licenseId}`;
  if (await store.seats.model.exists({ license, userId: seat.userId })) return false;
  const taken = new Set(
    (await store.seats.model.find({ license }, { slot: 1 }).lean<{ slot: number }[]>().exec()).map((d) => d.slot),
  );
  for (let slot = 1; ; slot++) {
    if (taken.has(slot)) continue;
    try {
      await store.seats.model.collection.insertOne({
        _id: `${license}#${slot}`,
        license,
        slot,
        userId: seat.userId,
        ticketId: seat.ticketId,
        at: seat.at,
      } as never);
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
}

/** The rebuild's activities: the worker's client and namespace, heartbeating as they go. */
export function createReindexActivities(deps: { store: Store }): ReindexActivities {
  const reindexer = () => {
    const context = Context.current();
    return createReindexer({
      store: deps.store,
      client: context.client,
      namespace: context.info.namespace,
      onProgress: () => context.heartbeat(),
    });
  };
  return {
    reindexTicketsPage: (input) => reindexer().ticketsPage(input),
    reindexDerived: (input) => reindexer().derived(input),
  };
}
