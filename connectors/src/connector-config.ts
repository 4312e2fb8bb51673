/**
 * Reading an app's `connector.config`: every value an admin typed is checked here, once, and a wrong
 * one is a permanent CONNECTOR_MISCONFIGURED failure naming the key (never a secret's value: secrets
 * are read with `secretFromEnv`).
 */
import type { EntitlementKind } from '@gatehouse/domain';
import { CONNECTOR_FAILURE, ConnectorFailure, type TargetEntitlement } from './connector';

function misconfigured(connector: string, message: string) {
  return ConnectorFailure.permanent(CONNECTOR_FAILURE.MISCONFIGURED, `${connector} connector: ${message}`);
}

export function requiredString(connector: string, config: Record<string, unknown>, key: string): string {
  const value = config[key];
  if (typeof value !== 'string' || !value.trim())
    throw misconfigured(connector, `config needs "${key}" (a non-empty string)`);
  return value.trim();
}

export function optionalString(connector: string, config: Record<string, unknown>, key: string): string | undefined {
  if (config[key] === undefined || config[key] === null) return undefined;
  return requiredString(connector, config, key);
}

/** An http(s) URL without its trailing slash; `fallback` when the key is absent. */
export function httpUrl(connector: string, config: Record<string, unknown>, key: string, fallback?: string): string {
  const raw =
    fallback !== undefined && (config[key] === undefined || config[key] === null)
      ? fallback
      : requiredString(connector, config, key);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw misconfigured(connector, `"${key}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw misconfigured(connector, `"${key}" must be an http(s) URL`);
  if (url.username || url.password)
    throw misconfigured(connector, `"${key}" must not carry credentials: name an environment variable instead`);
  return url.toString().replace(/\/+$/, '');
}

/** Throws CONNECTOR_MISCONFIGURED when the catalog gives this connector a kind of entitlement it does not manage. */
export function requireKind<K extends EntitlementKind>(
  connector: string,
  entitlement: TargetEntitlement,
  kinds: readonly K[],
): K {
  if ((kinds as readonly EntitlementKind[]).includes(entitlement.kind)) return entitlement.kind as K;
  throw misconfigured(
    connector,
    `entitlement ${entitlement.id} is a "${entitlement.kind}"; this connector manages ${kinds.map((k) => `"${k}"`).join(' and ')} entitlements`,
  );
}

export function misconfiguredEntitlement(connector: string, entitlement: TargetEntitlement, problem: string) {
  return misconfigured(connector, `entitlement ${entitlement.id} (externalId "${entitlement.externalId}"): ${problem}`);
}
