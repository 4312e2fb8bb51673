// `npm run reindex`: rebuilds the read model in MongoDB from Temporal (docs/operations.md, "Rebuilding the
// read model"), in this process: it reads the ticket workflows' histories from the Temporal server and
// writes MongoDB itself, so it needs no running worker. Connects like the gateway and the worker do:
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, MONGODB_URI, MONGODB_DB and the gateway's
// TICKET_NUMBER_START (dev defaults).
import { Client, Connection } from '@temporalio/client';
import { addToProgress, emptyReindexProgress, type ReindexProgress } from '@gatehouse/domain';
import { createReindexer } from '@gatehouse/activities';
import { Store } from '@gatehouse/store';
import { DEFAULT_TASK_QUEUE, TICKET_WORKFLOW_TYPE } from '@gatehouse/workflows';

const USAGE = 'usage: npm run reindex [-- --page-size <n>]';

function summary(p: ReindexProgress): string {
  return (
    `${p.workflowsSeen} workflows, ${p.ticketsWritten} tickets written (${p.ticketsCurrent} already current), ` +
    `${p.grantsWritten} grants, ${p.seatsWritten} seats, ${p.claimsWritten} open claims, ` +
    `${p.ticketNumbersWritten} ticket numbers, ${p.childLinksWritten} re-raise links, ${p.errorCount} errors`
  );
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--page-size');
  const pageSize = at >= 0 ? Number(args[at + 1]) : 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || args.some((a, i) => a !== '--page-size' && i !== at + 1)) {
    console.error(USAGE);
    return 2;
  }
  const env = process.env;
  const address = env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
  const namespace = env.TEMPORAL_NAMESPACE || 'default';
  const taskQueue = env.TEMPORAL_TASK_QUEUE || DEFAULT_TASK_QUEUE;
  const mongoUri = env.MONGODB_URI || 'mongodb://127.0.0.1:27017/';
  const mongoDb = env.MONGODB_DB || 'gatehouse';
  const ticketNumberStart = Number(env.TICKET_NUMBER_START || 1000);
  if (!Number.isInteger(ticketNumberStart) || ticketNumberStart < 0) {
    console.error('TICKET_NUMBER_START must be a whole number (the gateway’s)');
    return 2;
  }
  console.log(`reindex: ticket workflows of ${taskQueue} in ${namespace} at ${address} → ${mongoDb}`);

  const connection = await Connection.connect({ address });
  const store = await Store.connect(mongoUri, mongoDb);
  try {
    await store.ensureIndexes();
    const reindexer = createReindexer({ store, client: new Client({ connection, namespace }), namespace });
    let progress = emptyReindexProgress();
    let nextPageToken: string | null = null;
    do {
      const page = await reindexer.ticketsPage({
        workflowType: TICKET_WORKFLOW_TYPE,
        taskQueue,
        pageSize,
        nextPageToken,
      });
      progress = addToProgress(progress, page);
      nextPageToken = page.nextPageToken;
      console.log(`reindex: ${summary(progress)}`);
    } while (nextPageToken);
    progress = { ...addToProgress(progress, await reindexer.derived({ ticketNumberStart })), phase: 'done' };
    console.log(`reindex: done: ${summary(progress)}`);
    for (const e of progress.errors) console.error(`  ${e.ticketId ?? '-'}: ${e.message}`);
    return progress.errorCount > 0 ? 1 : 0;
  } finally {
    await store.close();
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
