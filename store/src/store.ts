import type { Connection } from 'mongoose';
import { AuditRepository } from './audit';
import { connectStore } from './connection';
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

  constructor(readonly connection: Connection) {
    this.tickets = new TicketRepository(connection);
    this.apps = new AppRepository(connection);
    this.users = new UserRepository(connection);
    this.directory = new DirectoryRepository(connection, this.users.model);
    this.leases = new LeaseRepository(connection);
    this.grants = new GrantRepository(connection, this.leases);
    this.ticketNumbers = new TicketNumberRepository(connection);
    this.seats = new SeatRepository(connection);
    this.idempotency = new IdempotencyRepository(connection);
    this.claims = new OpenClaimRepository(connection);
    this.demoMemberships = new DemoMembershipRepository(connection);
    this.driftReports = new DriftReportRepository(connection);
    this.audit = new AuditRepository(connection);
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

  /** Creates the indexes the schemas declare (also done lazily by mongoose; this waits for it). */
  async ensureIndexes(): Promise<void> {
    await Promise.all(Object.values(this.connection.models).map((m) => m.init()));
  }

  async ping(): Promise<void> {
    await this.connection.db!.admin().command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
