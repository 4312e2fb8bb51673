import { schemaToJson, type SchemaJson } from '@cedar-policy/cedar-wasm/nodejs';

/** The namespace every Gatehouse entity type and action lives in. */
export const NAMESPACE = 'Gatehouse';

/**
 * The Cedar schema policies are validated against (strict mode), published at `GET /policies/schema`.
 * Changing it can make stored policies invalid: add attributes as optional, never rename or retype one.
 */
export const GATEHOUSE_SCHEMA = `namespace Gatehouse {
  // A directory group: a user's groups are its parents, so \`principal in Group::"sre"\` works.
  entity Group;

  entity User in [Group] = {
    email: String,
    department?: String,
    manager?: User,
    active: Bool,
    // True while the user is on call for some schedule (context.onCallFor is not empty).
    onCall: Bool,
    roles: Set<String>,
  };

  entity App = {
    name: String,
  };

  // Entitlement ids are "<appId>/<entitlementId>"; the entitlement is in its app.
  entity Entitlement in [App] = {
    id: String,
    name: String,
    kind: String,
    risk: String,
  };

  type RequestContext = {
    // Absent: indefinite access.
    durationSeconds?: Long,
    indefinite: Bool,
    reason: String,
    onBehalfOf: Bool,
    requesterIsManager: Bool,
    // UTC, 0-23.
    hour: Long,
    // UTC, 0 = Sunday … 6 = Saturday.
    dayOfWeek: Long,
    onCallFor: Set<String>,
  };

  action Request, AutoApprove, BreakGlass appliesTo {
    principal: [User],
    resource: [Entitlement],
    context: RequestContext,
  };
}
`;

export const ACTIONS = ['Request', 'AutoApprove', 'BreakGlass'] as const;
export type PolicyAction = (typeof ACTIONS)[number];

/** Entitlement risk when the app does not say (apps carry no risk level yet). */
export const DEFAULT_RISK = 'standard';

/** The schema in Cedar's JSON form, computed once from the text above. */
export const GATEHOUSE_SCHEMA_JSON: SchemaJson<string> = (() => {
  const answer = schemaToJson(GATEHOUSE_SCHEMA);
  if (answer.type !== 'success')
    throw new Error(`Gatehouse's Cedar schema does not parse: ${answer.errors[0]?.message}`);
  return answer.json;
})();
