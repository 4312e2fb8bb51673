/**
 * Claimed app revisions (`app_revisions`): one document per write of an app, `_id` = `<appId>:<revision>`.
 *
 * FerretDB has no transactions and a filter-guarded update (`{ _id, revision: n }`) is not atomic on it:
 * two writers that both read revision n may both "match". A unique `_id` insert is atomic, so a writer
 * first claims revision n + 1 by inserting its document; only the writer whose insert succeeded writes the
 * app, and every other writer of revision n gets a duplicate key (REVISION_CONFLICT, or a re-read for
 * writes that name no revision). The claim carries what the writer is about to write, so a writer that
 * died between its claim and its write is rolled forward by the next one, and the collection doubles as
 * the app's history.
 */
import { Schema } from 'mongoose';

export interface AppRevisionDoc {
  _id: string;
  appId: string;
  revision: number;
  /** The app document written at this revision; null for a deletion. */
  app: Record<string, unknown> | null;
  at: string;
}

export const AppRevisionSchema = new Schema<AppRevisionDoc>(
  {
    _id: String,
    appId: String,
    revision: Number,
    app: { type: Schema.Types.Mixed, default: null },
    at: String,
  },
  { versionKey: false, minimize: false, collection: 'app_revisions' },
);

/** A write named a revision the app has moved past (or a claim of the next one is under way). */
export class RevisionConflictError extends Error {
  constructor(
    readonly appId: string,
    readonly expected: number,
    readonly current: number,
  ) {
    super(`Application ${appId} changed since revision ${expected} was read: it is at revision ${current} now.`);
  }
}
