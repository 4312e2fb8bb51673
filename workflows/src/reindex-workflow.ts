/**
 * The read-model rebuild as a maintenance workflow: pages through the ticket workflows in Temporal's
 * visibility, writing each page's tickets (one activity per page), then rebuilds what MongoDB derives from
 * the tickets (grants, seats, open claims, ticket numbers). Its progress is a query; it continues as new
 * between pages when its history grows, carrying the progress and the page token.
 */
import { continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { addToProgress, emptyReindexProgress, type ReindexActivities, type ReindexProgress } from '@gatehouse/domain';
import { TICKET_WORKFLOW_TYPE } from './definitions';
import { reindexProgressQuery, type ReindexWorkflowInput } from './reindex-definitions';

// A page reads histories and writes tickets; retried, since every write is idempotent.
const { reindexTicketsPage } = proxyActivities<ReindexActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

// One pass over every ticket in MongoDB; it heartbeats as it goes.
const { reindexDerived } = proxyActivities<ReindexActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

export async function reindexWorkflow(input: ReindexWorkflowInput): Promise<ReindexProgress> {
  let progress = input.resume?.progress ?? emptyReindexProgress();
  let nextPageToken = input.resume?.nextPageToken ?? null;
  setHandler(reindexProgressQuery, () => progress);

  if (progress.phase === 'tickets') {
    for (;;) {
      const page = await reindexTicketsPage({
        workflowType: TICKET_WORKFLOW_TYPE,
        taskQueue: input.ticketTaskQueue,
        pageSize: input.pageSize ?? 100,
        nextPageToken,
      });
      progress = addToProgress(progress, page);
      nextPageToken = page.nextPageToken;
      if (!nextPageToken) break;
      const info = workflowInfo();
      if (info.continueAsNewSuggested || info.historyLength >= (input.continueAsNewAfterEvents ?? 2000)) {
        await continueAsNew<typeof reindexWorkflow>({ ...input, resume: { progress, nextPageToken } });
      }
    }
    progress = { ...progress, phase: 'derived' };
  }
  const derived = await reindexDerived({ ticketNumberStart: input.ticketNumberStart });
  progress = { ...addToProgress(progress, derived), phase: 'done' };
  return progress;
}
