/**
 * Gatehouse's use of Cedar: checking a policy document against the schema, compiling the published
 * documents into one policy set, and deciding the three actions for one user and one entitlement.
 * Pure functions over `@cedar-policy/cedar-wasm` (its Node.js build), so they are tested without a server.
 */
import {
  isAuthorized,
  policySetTextToParts,
  policyToJson,
  preparsePolicySet,
  preparseSchema,
  statefulIsAuthorized,
  validate,
  type AuthorizationAnswer,
  type AuthorizationCall,
  type CedarValueJson,
  type DetailedError,
  type EntityJson,
  type PolicyJson,
} from '@cedar-policy/cedar-wasm/nodejs';
import { ACTIONS, DEFAULT_RISK, GATEHOUSE_SCHEMA, NAMESPACE, type PolicyAction } from './schema';

/** A problem in a policy document, located in its text (1-based line and column). */
export interface Diagnostic {
  line: number;
  column?: number;
  message: string;
  help?: string;
  /** Which policy of the document (0-based, in text order), when Cedar says. */
  policy?: number;
}

/** Cedar's findings on a document: errors make it invalid; warnings are returned with a successful PUT. */
export interface PolicyCheck {
  diagnostics: Diagnostic[];
  warnings: Diagnostic[];
}

/** The line and column of a byte offset (Cedar's source locations count UTF-8 bytes). */
function locate(text: string, offset: number): { line: number; column: number } {
  const before = Buffer.from(text, 'utf8').subarray(0, offset).toString('utf8');
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

function toDiagnostic(text: string, error: DetailedError, policy?: number): Diagnostic {
  const at = error.sourceLocations?.[0];
  const where = at ? locate(text, at.start) : { line: 1 };
  const label = at?.label ? ` (${at.label})` : '';
  return {
    ...where,
    message: error.message + label,
    ...(error.help ? { help: error.help } : {}),
    ...(policy !== undefined ? { policy } : {}),
  };
}

/** `policy3` (Cedar's id for the fourth policy of a text) → 3. */
function policyIndex(cedarId: string): number | undefined {
  const m = /^policy(\d+)$/.exec(cedarId);
  return m ? Number(m[1]) : undefined;
}

/**
 * Limits on one policy's expressions. Cedar's WebAssembly build runs out of stack on deep expressions
 * (from about 120 levels of nested records, or a chain of 500 operators such as `a + b + …` or
 * `x.a.a.…`) and is left unusable for every later call, so text beyond these never reaches it. Real
 * policies stay far below (the worked ones use at most 12 operators).
 */
export const MAX_NESTING = 48;
export const MAX_OPERATORS = 150;

const OPERATOR = /&&|\|\||==|!=|<=|>=|[<>+\-*!.]|\b(?:has|like|in|is|if)\b/y;

/** The first place `text` is more complex than Cedar can safely take, outside strings and comments. */
function tooComplex(text: string): Diagnostic | null {
  let depth = 0;
  let operators = 0;
  const at = (i: number, message: string): Diagnostic => ({
    ...locate(text, Buffer.byteLength(text.slice(0, i), 'utf8')),
    message,
  });
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      // A string literal: skip to its closing quote (backslash escapes one character).
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (ch === '(' || ch === '[' || ch === '{') {
      if (++depth > MAX_NESTING) return at(i, `nested more than ${MAX_NESTING} levels deep`);
    } else if (ch === ')' || ch === ']' || ch === '}') {
      depth = Math.max(0, depth - 1);
    } else if (ch === ';' && depth === 0) {
      operators = 0; // the next policy
    } else {
      OPERATOR.lastIndex = i;
      const op = OPERATOR.exec(text);
      if (!op) continue;
      if (++operators > MAX_OPERATORS) return at(i, `a policy with more than ${MAX_OPERATORS} operators: split it`);
      i += op[0].length - 1;
    }
  }
  return null;
}

/** Parses one document and validates it against the schema in strict mode. */
export function checkPolicyText(text: string): PolicyCheck {
  const complex = tooComplex(text);
  if (complex) return { diagnostics: [complex], warnings: [] };
  const parts = policySetTextToParts(text);
  if (parts.type === 'failure') return { diagnostics: parts.errors.map((e) => toDiagnostic(text, e)), warnings: [] };
  // Templates need links that name a principal or resource; Gatehouse publishes none.
  const templates = parts.policy_templates.map((t) => ({
    ...locate(text, Buffer.byteLength(text.slice(0, Math.max(0, text.indexOf(t.slice(0, 40)))), 'utf8')),
    message: 'templates (policies with ?principal or ?resource slots) are not supported: name the entity instead',
  }));
  if (templates.length) return { diagnostics: templates, warnings: [] };
  const answer = validate({
    schema: GATEHOUSE_SCHEMA,
    policies: { staticPolicies: text },
    validationSettings: { mode: 'strict' },
  });
  if (answer.type === 'failure') {
    return { diagnostics: answer.errors.map((e) => toDiagnostic(text, e)), warnings: [] };
  }
  return {
    diagnostics: answer.validationErrors.map((v) => toDiagnostic(text, v.error, policyIndex(v.policyId))),
    warnings: [
      ...answer.validationWarnings.map((v) => toDiagnostic(text, v.error, policyIndex(v.policyId))),
      ...answer.otherWarnings.map((e) => toDiagnostic(text, e)),
    ],
  };
}

/** A published document's version, as it enters the policy set. */
export interface PolicySource {
  id: string;
  revision: number;
  cedar: string;
}

/** A policy that determined a decision: its document and version, and what it tells the user. */
export interface DeterminingPolicy {
  /** The policy document (`PUT /policies/:id`). */
  id: string;
  revision: number;
  /** The policy's id in the evaluated set: `<document id>#<index in the document>`. */
  policyId: string;
  /** The policy's `@advice("…")` annotation, if it has one. */
  advice: string | null;
  /**
   * Set by `@endsWithOnCallShift("true")`: access this policy auto-approves ends when the requester's
   * PagerDuty shift does (docs/policy.md, "On-call").
   */
  endsWithOnCallShift?: true;
}

interface CompiledPolicy extends DeterminingPolicy {
  /** The actions the policy can apply to (its action scope). */
  actions: ReadonlySet<PolicyAction>;
}

function actionsOf(json: PolicyJson): ReadonlySet<PolicyAction> {
  const named = (uid: unknown): PolicyAction | null => {
    const id =
      (uid as { id?: unknown; __entity?: { id?: unknown } }).id ??
      (uid as { __entity?: { id?: unknown } }).__entity?.id;
    return ACTIONS.find((a) => a === id) ?? null;
  };
  const scope = json.action;
  if (scope.op === 'All') return new Set(ACTIONS);
  if (scope.op === '==') return new Set('entity' in scope ? [named(scope.entity)].filter((a) => a !== null) : []);
  const list = 'entities' in scope ? scope.entities : [scope.entity];
  return new Set(list.map(named).filter((a): a is PolicyAction => a !== null));
}

let schemaPreparsed = false;
const SCHEMA_KEY = 'gatehouse';

/**
 * The published documents as one Cedar policy set. The active set is parsed once into Cedar's cache
 * (`preparse`), so each decision only evaluates; drafts being simulated are parsed per call.
 */
export class CompiledPolicySet {
  readonly policies: Record<string, string> = {};
  private readonly meta = new Map<string, CompiledPolicy>();
  /** Documents that no longer parse (none, unless the schema changed under stored policies). */
  readonly broken: string[] = [];
  private cacheKey: string | null = null;

  constructor(readonly sources: readonly PolicySource[]) {
    for (const source of sources) {
      const parts = policySetTextToParts(source.cedar);
      if (parts.type === 'failure') {
        this.broken.push(source.id);
        continue;
      }
      parts.policies.forEach((text, index) => {
        const json = policyToJson(text);
        if (json.type === 'failure') return;
        const policyId = `${source.id}#${index}`;
        this.policies[policyId] = text;
        this.meta.set(policyId, {
          id: source.id,
          revision: source.revision,
          policyId,
          advice: json.json.annotations?.advice ?? null,
          ...(json.json.annotations?.endsWithOnCallShift === 'true' ? { endsWithOnCallShift: true as const } : {}),
          actions: actionsOf(json.json),
        });
      });
    }
  }

  /** True when no published policy exists at all: Gatehouse then behaves as without a policy layer. */
  get empty(): boolean {
    return this.meta.size === 0;
  }

  /** Whether some policy's scope includes this action; when none does, the action's default applies. */
  governs(action: PolicyAction): boolean {
    for (const p of this.meta.values()) if (p.actions.has(action)) return true;
    return false;
  }

  /**
   * Parses the set into Cedar's in-process cache under `key`, replacing what was there: decisions then
   * skip parsing. One key per owner, so a reload frees the set it replaces.
   */
  preparse(key: string): this {
    if (!schemaPreparsed) {
      const schema = preparseSchema(SCHEMA_KEY, GATEHOUSE_SCHEMA);
      if (schema.type === 'failure') throw new Error(`schema: ${schema.errors[0]?.message}`);
      schemaPreparsed = true;
    }
    const answer = preparsePolicySet(key, { staticPolicies: this.policies });
    if (answer.type === 'failure') throw new Error(`policy set: ${answer.errors[0]?.message}`);
    this.cacheKey = key;
    return this;
  }

  authorize(call: Omit<AuthorizationCall, 'policies' | 'schema'>): AuthorizationAnswer {
    if (this.cacheKey) {
      return statefulIsAuthorized({ ...call, preparsedPolicySetId: this.cacheKey, preparsedSchemaName: SCHEMA_KEY });
    }
    return isAuthorized({ ...call, schema: GATEHOUSE_SCHEMA, policies: { staticPolicies: this.policies } });
  }

  describe(policyId: string): DeterminingPolicy | null {
    const p = this.meta.get(policyId);
    if (!p) return null;
    const { id, revision, advice, endsWithOnCallShift } = p;
    return { id, revision, policyId, advice, ...(endsWithOnCallShift ? { endsWithOnCallShift } : {}) };
  }
}

/** The user a decision is about: the directory's view (stored user), completed with the token's groups. */
export interface PolicyPrincipal {
  id: string;
  email: string | null;
  groups: string[];
  roles: string[];
  department: string | null;
  manager: string | null;
  active: boolean;
}

/** The entitlement a decision is about, with its app. */
export interface PolicyResource {
  appId: string;
  appName: string;
  entitlementId: string;
  name: string;
  kind: string;
  risk?: string;
}

/** What the request is: how long, why, who asked. Absent fields take the defaults listed. */
export interface PolicyContextInput {
  /** Seconds of access asked for; absent or null: indefinite. */
  durationSeconds?: number | null;
  /** Default: "". */
  reason?: string;
  /** The requester asks for someone else. Default: false. */
  onBehalfOf?: boolean;
  /** The requester is the beneficiary's manager. Default: false. */
  requesterIsManager?: boolean;
  /** The on-call schedules the user is on now. Default: none (and then `principal.onCall` is false). */
  onCallFor?: string[];
  /** When the request is made (hour and dayOfWeek, UTC). Default: now. */
  at?: Date;
}

export interface ActionDecision {
  allowed: boolean;
  /**
   * The policies that determined the decision: the permits that allowed it, or the forbids that denied it
   * (empty for a deny because no permit matched, and when the action's default applied).
   */
  policies: DeterminingPolicy[];
  /** True when no policy governs this action, so Gatehouse's default applied (Request: allowed; others: not). */
  byDefault: boolean;
  /** Policies that failed to evaluate (they are skipped, as Cedar does); empty normally. */
  errors?: { policyId: string; message: string }[];
}

export type PolicyDecision = Record<'request' | 'autoApprove' | 'breakGlass', ActionDecision>;

const uid = (type: string, id: string) => ({ type: `${NAMESPACE}::${type}`, id });

function entitiesOf(principal: PolicyPrincipal, resource: PolicyResource, onCall: boolean): EntityJson[] {
  const user: Record<string, CedarValueJson> = {
    email: principal.email ?? '',
    active: principal.active,
    onCall,
    roles: principal.roles,
  };
  if (principal.department) user.department = principal.department;
  if (principal.manager) user.manager = { __entity: uid('User', principal.manager) };
  const groups = [...new Set(principal.groups)];
  return [
    { uid: uid('User', principal.id), attrs: user, parents: groups.map((g) => uid('Group', g)) },
    ...groups.map((g) => ({ uid: uid('Group', g), attrs: {}, parents: [] })),
    { uid: uid('App', resource.appId), attrs: { name: resource.appName }, parents: [] },
    {
      uid: uid('Entitlement', `${resource.appId}/${resource.entitlementId}`),
      attrs: {
        id: resource.entitlementId,
        name: resource.name,
        kind: resource.kind,
        risk: resource.risk ?? DEFAULT_RISK,
      },
      parents: [uid('App', resource.appId)],
    },
  ];
}

export function contextOf(input: PolicyContextInput): Record<string, CedarValueJson> {
  const at = input.at ?? new Date();
  const duration = input.durationSeconds ?? null;
  return {
    ...(duration !== null ? { durationSeconds: Math.round(duration) } : {}),
    indefinite: duration === null,
    reason: input.reason ?? '',
    onBehalfOf: input.onBehalfOf ?? false,
    requesterIsManager: input.requesterIsManager ?? false,
    hour: at.getUTCHours(),
    dayOfWeek: at.getUTCDay(),
    onCallFor: [...new Set(input.onCallFor ?? [])],
  };
}

/** Decides one action for one user and entitlement under a policy set. */
export function decideAction(
  set: CompiledPolicySet,
  action: PolicyAction,
  principal: PolicyPrincipal,
  resource: PolicyResource,
  input: PolicyContextInput,
): ActionDecision {
  if (!set.governs(action)) return { allowed: action === 'Request', policies: [], byDefault: true };
  const answer = set.authorize({
    principal: uid('User', principal.id),
    action: uid('Action', action),
    resource: uid('Entitlement', `${resource.appId}/${resource.entitlementId}`),
    context: contextOf(input),
    entities: entitiesOf(principal, resource, (input.onCallFor ?? []).length > 0),
    validateRequest: true,
  });
  if (answer.type === 'failure') {
    // The request itself does not fit the schema: a bug in the caller, never a reason to allow.
    throw new Error(`Cedar refused the request: ${answer.errors.map((e) => e.message).join('; ')}`);
  }
  const { decision, diagnostics } = answer.response;
  return {
    allowed: decision === 'allow',
    policies: diagnostics.reason.map((id) => set.describe(id)).filter((p): p is DeterminingPolicy => p !== null),
    byDefault: false,
    ...(diagnostics.errors.length
      ? { errors: diagnostics.errors.map((e) => ({ policyId: e.policyId, message: e.error.message })) }
      : {}),
  };
}

/** Decides Request, AutoApprove and BreakGlass for one user and entitlement under a policy set. */
export function decide(
  set: CompiledPolicySet,
  principal: PolicyPrincipal,
  resource: PolicyResource,
  input: PolicyContextInput,
): PolicyDecision {
  return {
    request: decideAction(set, 'Request', principal, resource, input),
    autoApprove: decideAction(set, 'AutoApprove', principal, resource, input),
    breakGlass: decideAction(set, 'BreakGlass', principal, resource, input),
  };
}
