/**
 * Drift reports: the latest comparison, per app, of who holds each entitlement in the target with the
 * grants Gatehouse holds active. One document per app (`_id` = app id), replaced by each newer run.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { DriftError, DriftMissing, DriftReport, DriftUnmanaged } from '@gatehouse/domain';
import { isDuplicateKeyError } from './connection';

export interface DriftReportDoc {
  _id: string;
  appId: string;
  generatedAt: string;
  unmanaged: DriftUnmanaged[];
  missing: DriftMissing[];
  errors: DriftError[];
}

export const DriftReportSchema = new Schema<DriftReportDoc>(
  {
    _id: String,
    appId: String,
    generatedAt: String,
    unmanaged: [Schema.Types.Mixed],
    missing: [Schema.Types.Mixed],
    errors: [Schema.Types.Mixed],
  },
  // `errors` is a reserved schema path name in mongoose; this document really has one.
  { versionKey: false, minimize: false, collection: 'drift_reports', suppressReservedKeysWarning: true },
);

export class DriftReportRepository {
  readonly model: Model<DriftReportDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<DriftReportDoc>('DriftReport', DriftReportSchema);
  }

  /** Stores a report unless a newer one of the app is stored already (runs may finish out of order). */
  async save(report: DriftReport): Promise<boolean> {
    const { appId, generatedAt, unmanaged, missing, errors } = report;
    try {
      const res = await this.model.updateOne(
        { _id: appId, generatedAt: { $lt: generatedAt } },
        { $set: { appId, generatedAt, unmanaged, missing, errors } },
        { upsert: true },
      );
      return res.modifiedCount + res.upsertedCount > 0;
    } catch (err) {
      // The filter missed because a newer report exists, and the upsert then clashed on `_id`.
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async latest(appId: string): Promise<DriftReport | null> {
    const doc = await this.model.findById(appId).lean<DriftReportDoc>().exec();
    if (!doc) return null;
    return {
      appId: doc.appId,
      generatedAt: doc.generatedAt,
      unmanaged: doc.unmanaged ?? [],
      missing: doc.missing ?? [],
      errors: doc.errors ?? [],
    };
  }
}
