/**
 * What the read-model rebuild exposes to clients: its workflow type, id prefix and progress query. Safe to
 * import anywhere (the gateway starts the rebuild and reads its progress).
 */
import { defineQuery } from '@temporalio/workflow';
import type { ReindexProgress } from '@gatehouse/domain';

export const REINDEX_WORKFLOW_TYPE = 'reindexWorkflow';
/** Rebuild workflow ids are `reindex-<uuid>`: the id `POST /admin/reindex` answers. */
export const REINDEX_WORKFLOW_ID_PREFIX = 'reindex-';

export const reindexProgressQuery = defineQuery<ReindexProgress>('reindexProgress');

export interface ReindexWorkflowInput {
  /** The ticket workflows' task queue: the rebuild lists the ticket workflows of that queue only. */
  ticketTaskQueue: string;
  /** The gateway's `TICKET_NUMBER_START`, to tell the ticket numbers from the ticket ids. */
  ticketNumberStart: number;
  /** Ticket workflows per visibility page (default 100). */
  pageSize?: number;
  /** History length past which the rebuild continues as new (default 2,000 events). */
  continueAsNewAfterEvents?: number;
  /** Carried into the next run when it continues as new. */
  resume?: { progress: ReindexProgress; nextPageToken: string | null };
}
