import type { ConnectorSettings } from '@gatehouse/domain';
import { CONNECTOR_FAILURE, ConnectorFailure, type Connector } from './connector';
import { DemoConnector, type DemoMembershipStore } from './demo/demo-connector';
import { createGithubConnector } from './github/github-connector';
import { createSalesforceConnector } from './salesforce/salesforce-connector';
import { createScimConnector } from './scim/scim-connector';
import { createSlackConnector } from './slack/slack-connector';

/**
 * How connectors reach their targets: the worker passes the outbound guard's `fetch`, which in production
 * refuses loopback, private and cloud-metadata destinations (`@gatehouse/notifiers` outbound). Absent: the
 * global `fetch`.
 */
export interface ConnectorHttp {
  fetch: typeof fetch;
}

export interface ConnectorDeps {
  demoMemberships: DemoMembershipStore;
  http?: ConnectorHttp;
  /** Where secrets named in connector configs are read from (the worker's environment). */
  env: NodeJS.ProcessEnv;
}

type Factory = (appId: string, config: Record<string, unknown>, deps: ConnectorDeps) => Connector;

const factories: Partial<Record<ConnectorSettings['type'], Factory>> = {
  demo: (appId, _config, deps) => new DemoConnector(appId, deps.demoMemberships),
  github: (_appId, config, deps) => createGithubConnector(config, deps.env, deps.http),
  slack: (_appId, config, deps) => createSlackConnector(config, deps.env, deps.http),
  salesforce: (_appId, config, deps) => createSalesforceConnector(config, deps.env, deps.http),
  scim: (_appId, config, deps) => createScimConnector(config, deps.env, deps.http),
};

/** Registers (or replaces) the factory of a connector type at runtime; the built-in ones are listed in `factories`. */
export function registerConnector(type: ConnectorSettings['type'], factory: Factory): void {
  factories[type] = factory;
}

export function createConnector(appId: string, settings: ConnectorSettings, deps: ConnectorDeps): Connector {
  const factory = factories[settings.type];
  if (!factory) {
    throw ConnectorFailure.permanent(
      CONNECTOR_FAILURE.MISCONFIGURED,
      `no connector of type "${settings.type}" is available`,
    );
  }
  return factory(appId, settings.config ?? {}, deps);
}
