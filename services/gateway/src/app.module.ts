import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { Store } from '@gatehouse/store';
import { AdminController } from './admin/admin.controller';
import { ReindexService } from './admin/reindex.service';
import { AppsController } from './apps/apps.controller';
import { ConnectorController } from './apps/connector.controller';
import { ImpactController } from './apps/impact.controller';
import { DriftService } from './apps/drift.service';
import { AuditController, AuditInterceptor } from './audit/audit';
import { AuthConfigController } from './auth/auth-config.controller';
import { AuthGuard } from './auth/auth.guard';
import { TokenVerifier } from './auth/token-verifier';
import { ErrorFilter } from './common/error.filter';
import { DevController } from './dev/dev.controller';
import { DirectoryService } from './directory/directory.service';
import { ScimController, ScimTokenController } from './directory/scim.controller';
import { ScimDirectory } from './directory/scim-directory';
import type { GatewayConfig } from './config';
import { AdminGrantsController, GrantsController } from './grants/grants.controller';
import { HealthController } from './health/health.controller';
import { GatewayMetrics } from './observability/metrics';
import { MetricsController } from './observability/metrics.controller';
import { loadOnCallSettings, PagerDutyOnCall } from './oncall/pagerduty-oncall';
import { PoliciesController } from './policies/policies.controller';
import { PolicyDecisions } from './policies/policy-decisions.service';
import { TracingFlush } from './observability/tracing';
import { TemporalService } from './temporal/temporal.service';
import { TicketsController } from './tickets/tickets.controller';
import { TicketCreation } from './tickets/ticket-creation.service';
import { TicketDecisions } from './tickets/ticket-decisions.service';
import { TicketQueries } from './tickets/ticket-queries.service';
import { GATEWAY_CONFIG, STORE } from './tokens';
import { SlackController } from './slack/slack.controller';
import { OffboardingService } from './users/offboarding.service';
import { UsersController } from './users/users.controller';
import { WebhooksController } from './webhooks/webhooks.controller';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, store: Store): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [
        HealthController,
        AuthConfigController,
        MetricsController,
        UsersController,
        AppsController,
        TicketsController,
        GrantsController,
        AdminGrantsController,
        AuditController,
        ConnectorController,
        ImpactController,
        DevController,
        WebhooksController,
        SlackController,
        AdminController,
        PoliciesController,
        ScimController,
        ScimTokenController,
      ],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: STORE, useValue: store },
        { provide: TokenVerifier, useValue: new TokenVerifier(config.auth) },
        GatewayMetrics,
        TracingFlush,
        TemporalService,
        TicketQueries,
        TicketCreation,
        TicketDecisions,
        DriftService,
        ReindexService,
        OffboardingService,
        PolicyDecisions,
        { provide: PagerDutyOnCall, useValue: new PagerDutyOnCall(config.onCall ?? loadOnCallSettings({})) },
        DirectoryService,
        ScimDirectory,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
      ],
    };
  }
}
