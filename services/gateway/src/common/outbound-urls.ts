/**
 * The early answer for URLs an admin configures (webhook endpoints, connector base URLs): in production a
 * loopback, private, link-local or metadata destination is refused with 400 when it is saved. The check
 * that counts runs when the request is sent, on the address actually connected to (`@gatehouse/notifiers`
 * outbound); this one only saves the admin from finding out at the first delivery.
 */
import { checkOutboundUrl, OPEN_OUTBOUND_POLICY } from '@gatehouse/notifiers';
import type { GatewayConfig } from '../config';
import { fail } from './errors';

export async function refuseNonPublicUrl(config: GatewayConfig, field: string, url: string): Promise<void> {
  const refusal = await checkOutboundUrl(config.notifier.outbound?.policy ?? OPEN_OUTBOUND_POLICY, url);
  if (refusal) fail('VALIDATION_FAILED', `${field}: ${refusal}`);
}

/** Every http(s) URL among a connector's config values, with its key. */
export function connectorUrls(config: Record<string, unknown>): [string, string][] {
  return Object.entries(config).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string' && /^https?:\/\//i.test(entry[1]),
  );
}
