import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';
import { isDuplicateKeyError } from './connection';

/** One revision of a policy document: Cedar text an admin published with `PUT /policies/:id`. Never changed. */
export interface PolicyVersion {
  policyId: string;
  /** 1, 2, 3…: each change of the document adds the next one. */
  revision: number;
  cedar: string;
  description: string | null;
  /** Who published it (the admin's user id). */
  author: string;
  at: string;
  /**
   * The document was deleted by this version (`DELETE /policies/:id`): it holds no text, and the document
   * counts as absent until a later version publishes it again. Absent on every other version.
   */
  deleted?: true;
}

interface PolicyVersionDoc extends PolicyVersion {
  /** `<policyId>:<revision>`: the unique key that makes two writers of the same revision collide. */
  _id: string;
}

const PolicyVersionSchema = new Schema<PolicyVersionDoc>(
  {
    _id: String,
    policyId: String,
    revision: Number,
    cedar: String,
    description: { type: String, default: null },
    author: String,
    at: String,
    deleted: { type: Boolean, default: undefined },
  },
  { versionKey: false, minimize: false, collection: 'policy_versions' },
);
PolicyVersionSchema.index({ policyId: 1, revision: -1 });

function versionFromDoc(doc: PolicyVersionDoc): PolicyVersion {
  return {
    policyId: doc.policyId,
    revision: doc.revision,
    cedar: doc.cedar,
    description: doc.description ?? null,
    author: doc.author,
    at: doc.at,
    ...(doc.deleted ? { deleted: true as const } : {}),
  };
}

/**
 * Policy documents as an append-only list of versions. The store has no transactions and loses concurrent
 * guarded updates, so a revision is claimed by inserting its `<policyId>:<revision>` document: of two
 * writers of the same revision exactly one insert succeeds. The current version is the highest revision.
 * A deletion is a version too (`deleted`), so it is claimed, counted and audited like any change.
 */
export class PolicyRepository {
  readonly model: Model<PolicyVersionDoc>;
  constructor(connection: Connection) {
    this.model = connection.model<PolicyVersionDoc>('PolicyVersion', PolicyVersionSchema);
  }

  /** Adds a version; false when that revision of the document already exists (someone else wrote it). */
  async insert(version: PolicyVersion): Promise<boolean> {
    try {
      await this.model.collection.insertOne({ _id: `${version.policyId}:${version.revision}`, ...version } as never);
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async latest(policyId: string): Promise<PolicyVersion | null> {
    const doc = await this.model.findOne({ policyId }).sort({ revision: -1 }).lean<PolicyVersionDoc>().exec();
    return doc ? versionFromDoc(doc) : null;
  }

  async version(policyId: string, revision: number): Promise<PolicyVersion | null> {
    const doc = await this.model.findById(`${policyId}:${revision}`).lean<PolicyVersionDoc>().exec();
    return doc ? versionFromDoc(doc) : null;
  }

  /** Every version of one document, newest first. */
  async versions(policyId: string): Promise<PolicyVersion[]> {
    const docs = await this.model.find({ policyId }).sort({ revision: -1 }).lean<PolicyVersionDoc[]>().exec();
    return docs.map(versionFromDoc);
  }

  /** The current version of every document, by id; deleted documents are left out. */
  async current(): Promise<PolicyVersion[]> {
    const docs = await this.model.find({}).sort({ policyId: 1, revision: -1 }).lean<PolicyVersionDoc[]>().exec();
    const seen = new Set<string>();
    return docs
      .filter((d) => !seen.has(d.policyId) && seen.add(d.policyId))
      .filter((d) => !d.deleted)
      .map(versionFromDoc);
  }

  /**
   * How many versions exist. Versions are only ever added, so a different count means some document
   * changed: gateways poll this (one cheap count) to know when to reload.
   */
  async changeCount(): Promise<number> {
    return this.model.countDocuments({}).exec();
  }
}
