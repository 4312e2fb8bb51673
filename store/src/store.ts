import type { Connection } from 'mongoose';
import { AuditRepository } from './audit';
import { connectStore, isFerretDb } from './connection';
import { DirectoryRepository } from './directory';
import {
  AppRepository,
  DemoMembershipRepository,
  IdempotencyRepository,
  OpenClaimRepository,
  SeatRepository,
  TicketNumberRepository,
  UserRepository,
} from './repositories';
import { DriftReportRepository } from './drift';
import { ListSourceSetting, type ListSource } from './feed';
import { GrantRepository } from './grants';
import { LeaseRepository } from './leases';
import { PolicyRepository } from './policies';
import { TicketEventRepository } from './events';
import { SentNotificationRepository, SlackMessageRepository } from './notifications';
import { SlackIdentityRepository } from './notifications';
import { TicketRepository } from './tickets';
import { WebhookDeliveryRepository, WebhookRepository } from './webhooks';

/** Every repository over one connection. */
export class Store {
  readonly tickets: TicketRepository;
  readonly apps: AppRepository;
  readonly users: UserRepository;
  readonly directory: DirectoryRepository;
  readonly grants: GrantRepository;
  readonly leases: LeaseRepository;
  readonly ticketNumbers: TicketNumberRepository;
  readonly seats: SeatRepository;
  readonly idempotency: IdempotencyRepository;
  readonly claims: OpenClaimRepository;
  readonly demoMemberships: DemoMembershipRepository;
  readonly driftReports: DriftReportRepository;
  readonly audit: AuditRepository;
  readonly policies: PolicyRepository;
  readonly ticketEvents: TicketEventRepository;
  readonly webhooks: WebhookRepository;
  readonly webhookDeliveries: WebhookDeliveryRepository;
  readonly sentNotifications: SentNotificationRepository;
  readonly slackMessages: SlackMessageRepository;
  readonly slackIdentities: SlackIdentityRepository;
  /** Where the lists with an in-memory index read: the tracker's tickets, the audit log, the console's grants. */
  private readonly listSource: ListSourceSetting;

  constructor(readonly connection: Connection) {
    this.listSource = new ListSourceSetting(connection);
    this.tickets = new TicketRepository(connection, this.listSource);
    this.apps = new AppRepository(connection);
    this.users = new UserRepository(connection);
    this.directory = new DirectoryRepository(connection, this.users.model);
    this.leases = new LeaseRepository(connection);
    this.grants = new GrantRepository(connection, this.leases, this.listSource);
    this.ticketNumbers = new TicketNumberRepository(connection);
    this.seats = new SeatRepository(connection);
    this.idempotency = new IdempotencyRepository(connection);
    this.claims = new OpenClaimRepository(connection);
    this.demoMemberships = new DemoMembershipRepository(connection);
    this.driftReports = new DriftReportRepository(connection);
    this.audit = new AuditRepository(connection, this.listSource);
    this.policies = new PolicyRepository(connection);
    this.ticketEvents = new TicketEventRepository(connection);
    this.webhooks = new WebhookRepository(connection);
    this.webhookDeliveries = new WebhookDeliveryRepository(connection);
    this.sentNotifications = new SentNotificationRepository(connection);
    this.slackMessages = new SlackMessageRepository(connection);
    this.slackIdentities = new SlackIdentityRepository(connection);
  }

  static async connect(uri: string, dbName: string): Promise<Store> {
    return new Store(await connectStore(uri, dbName));
  }

  /**
   * Creates the indexes the schemas declare (also done lazily by mongoose; this waits for it). On FerretDB
   * it creates none but `_id`'s, and drops the ones earlier versions made there: its SQLite backend never
   * uses them, and maintains each on every write (`connectStore`).
   */
  async ensureIndexes(): Promise<void> {
    const models = Object.values(this.connection.models);
    await Promise.all(models.map((m) => m.init()));
    if (!(await isFerretDb(this.connection))) return;
    const collections = new Map(models.map((m) => [m.collection.collectionName, m.collection]));
    await Promise.all(
      [...collections.values()].map(async (collection) => {
        const indexes = await collection.indexes().catch(() => []); // no collection yet: nothing to drop
        for (const { name } of indexes) if (name && name !== '_id_') await collection.dropIndex(name);
      }),
    );
  }

  /** Sets where the in-memory lists read (the gateway's `LIST_SOURCE`). */
  useListSource(source: ListSource): void {
    this.listSource.use(source);
  }

  /**
   * Loads every list index when lists read memory (gateways call it at start rather than wait for the
   * first list); resolves with each index's size once all have loaded.
   */
  async warmListIndexes(): Promise<{ tickets: number; audit: number; grants: number }> {
    await Promise.all([this.tickets.warmListIndex(), this.audit.warm(), this.grants.warm()]);
    return { tickets: this.tickets.listIndex.size, audit: this.audit.index.size, grants: this.grants.index.size };
  }

  async ping(): Promise<void> {
    await this.connection.db!.admin().command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
