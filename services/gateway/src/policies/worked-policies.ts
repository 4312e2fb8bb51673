/**
 * The worked policies of docs/policy.md, kept here so the unit tests decide with exactly the text the
 * docs show (the docs quote them; a change here is a change there).
 */
export const WORKED_POLICIES = {
  /** The baseline: with it, any user may request anything the other policies do not forbid. */
  baseline: `@advice("Anyone may ask for access; approvers decide.")
permit (principal, action == Gatehouse::Action::"Request", resource);`,

  engineersRead: `@advice("Engineers may request read access.")
permit (
  principal in Gatehouse::Group::"engineering",
  action == Gatehouse::Action::"Request",
  resource
)
when { resource.id like "*read*" };`,

  prodAdmin: `@advice("Production admin is for whoever is on call: join the rotation first.")
forbid (
  principal,
  action == Gatehouse::Action::"Request",
  resource == Gatehouse::Entitlement::"aws/prod-admin"
)
unless { principal.onCall };

@advice("On call: up to one hour of production admin is approved automatically.")
permit (
  principal,
  action == Gatehouse::Action::"AutoApprove",
  resource == Gatehouse::Entitlement::"aws/prod-admin"
)
when { principal.onCall && context has durationSeconds && context.durationSeconds <= 3600 };`,

  contractorsNoFinance: `@advice("Contractors cannot request access to finance systems.")
forbid (
  principal in Gatehouse::Group::"contractors",
  action == Gatehouse::Action::"Request",
  resource in Gatehouse::App::"finance"
);`,

  sreBreakGlass: `@advice("SREs may break glass: access starts at once, for at most 4 hours, and is reviewed afterwards.")
permit (
  principal in Gatehouse::Group::"sre",
  action == Gatehouse::Action::"BreakGlass",
  resource
)
when { context.reason != "" && context has durationSeconds && context.durationSeconds <= 14400 };`,

  managersTeamGroups: `@advice("A manager's request for their report's team group is approved automatically.")
permit (
  principal,
  action == Gatehouse::Action::"AutoApprove",
  resource
)
when { context.onBehalfOf && context.requesterIsManager && resource.kind == "group" };`,
} as const;
