import { Inject, Injectable } from '@nestjs/common';
import {
  approverRulesOf,
  isAdmin,
  type Actor,
  type App,
  type LicenseUsage,
  type Ticket,
  type TicketChange,
  type TicketState,
} from '@gatehouse/domain';
import {
  Store,
  TICKET_ID_PREFIX,
  ticketFromDoc,
  TicketRepository,
  type TicketDoc,
  type TicketViewer,
} from '@gatehouse/store';
import { fail } from '../common/errors';
import type { GatewayConfig } from '../config';
import { GATEWAY_CONFIG, STORE } from '../tokens';
import type { ListTicketsQuery } from './tickets.dto';

export function viewerOf(actor: Actor): TicketViewer {
  return { id: actor.id, admin: isAdmin(actor), rules: approverRulesOf(actor) };
}

/** Tickets as the read model has them: who may see which, and the Ticket of the contract. */
@Injectable()
export class TicketQueries {
  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** `state`: the workflow's newer state, when a decision just returned it. `app`: pass it when already loaded, to spare a read. */
  async toTicket(doc: TicketDoc, state?: TicketState, app?: App): Promise<Ticket> {
    const base = ticketFromDoc(doc, this.config.temporalUiUrl, this.config.temporalNamespace);
    const merged = state
      ? {
          ...base,
          status: state.status,
          approval: state.approval,
          access: state.access,
          duration: state.duration,
          log: state.log,
          resolvedAt: state.resolvedAt,
          resolvedInSeconds: state.resolvedInSeconds,
          childTicketIds: state.childTicketIds,
          review: state.review ?? base.review,
        }
      : base;
    return { ...merged, licenses: await this.licenseUsage(doc, app) };
  }

  private async licenseUsage(doc: TicketDoc, loaded?: App): Promise<LicenseUsage[]> {
    // A ticket takes seats only for entitlements that had a license when it was raised (the workflow
    // reserves those): without one, no app read on every ticket the API returns.
    if (!(doc.changes as TicketChange[]).some((c) => c.entitlement.licenseId)) return [];
    const app = loaded ?? (await this.store.apps.get(doc.app.id));
    if (!app) return [];
    const ids = new Set(
      (doc.changes as TicketChange[])
        .map((c) => app.entitlements.find((e) => e.id === c.entitlement.id)?.licenseId)
        .filter(Boolean),
    );
    return Promise.all(
      app.licenses
        .filter((l) => ids.has(l.id))
        .map(async (l) => {
          const used = await this.store.seats.used(app.id, l.id);
          return { ...l, used, available: Math.max(0, l.seats - used) };
        }),
    );
  }

  /** The ticket if the actor may see it; otherwise 404, so ids of others' tickets do not leak. */
  async visibleDoc(actor: Actor, ticketId: string): Promise<TicketDoc> {
    const doc = ticketId.startsWith(TICKET_ID_PREFIX) ? await this.store.tickets.get(ticketId) : null;
    if (!doc || !TicketRepository.visibleTo(doc, viewerOf(actor))) fail('TICKET_NOT_FOUND', `No ticket ${ticketId}.`);
    return doc;
  }

  async get(actor: Actor, ticketId: string): Promise<Ticket> {
    return this.toTicket(await this.visibleDoc(actor, ticketId));
  }

  async list(actor: Actor, q: ListTicketsQuery) {
    return this.store.tickets.list({
      viewer: viewerOf(actor),
      tab: q.tab ?? 'all',
      appId: q.appId,
      requesterId: q.requesterId,
      beneficiaryId: q.beneficiaryId,
      type: q.type,
      awaitingMe: q.awaiting === 'me',
      limit: q.limit ?? 50,
      cursor: q.cursor !== undefined ? Number(q.cursor) : undefined,
    });
  }
}
