/**
 * Who may do what: roles, the permissions each role holds, and the permission every
 * GraphQL field and HTTP endpoint requires. This table is the only place access is
 * decided — field-authorization.ts wraps each listed field with it, the ingest guard
 * checks it, and docs/api-security.md's roles table is rendered from it (and checked
 * against it by a test). A root field missing here is refused to everyone (fail closed).
 */

export const ROLES = ['viewer', 'ci', 'ingest', 'team-owner', 'sre', 'release-manager', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** What each permission allows, as the docs show it. */
export const PERMISSIONS = {
  'self:read': 'see who the caller is (`whoami`)',
  'status:read': 'read health, SLO status, transitions and drill-downs, SLI series, breach history, SLIs per release, build metrics, DORA metrics, benchmarks, canary comparisons and rollback requests; subscribe to transitions, breaches, SLO state changes and rollback requests',
  'gate:evaluate': 'ask for a gate verdict (each decision is recorded in the audit log)',
  'events:ingest': 'send events to HTTP ingest (`/ingest/<signal>`), OTLP/HTTP (`/v1/traces`, `/v1/logs`) and the inbound-alert webhooks (`/alerts/alertmanager`, `/alerts/datadog`)',
  'release:report': 'report deploys (started, finished) and build metrics through the API (each report is recorded in the audit log)',
  'gate:waive': 'declare waivers and maintenance windows (planned mutations of the gate work)',
  'gate:override': 'override a verdict or declare an emergency release (planned mutations of the gate work)',
  'audit:read': 'read the audit log and verify its hash chains',
  'tokens:manage': 'create, list and revoke API tokens',
} as const;
export type Permission = keyof typeof PERMISSIONS;

export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

/** What a role is for and what it may do. */
export interface RoleGrant {
  purpose: string;
  permissions: readonly Permission[];
  /** Tokens of this role must name at least one team (`--team`); they act only on their teams' services. */
  requiresTeams: boolean;
}

const READER: readonly Permission[] = ['self:read', 'status:read'];

export const ROLE_GRANTS: Record<Role, RoleGrant> = {
  viewer: { purpose: 'dashboards and people who look', permissions: READER, requiresTeams: false },
  ci: { purpose: 'pipelines: ask for gate verdicts, report releases', permissions: [...READER, 'gate:evaluate', 'release:report'], requiresTeams: false },
  ingest: { purpose: 'senders of telemetry (SDK exporters, collectors, scripts)', permissions: ['self:read', 'events:ingest'], requiresTeams: false },
  'team-owner': { purpose: 'a team acting on its own services', permissions: [...READER, 'gate:evaluate', 'release:report', 'gate:waive'], requiresTeams: true },
  sre: { purpose: 'operators of SLOs and policies', permissions: [...READER, 'gate:evaluate', 'release:report', 'gate:waive'], requiresTeams: false },
  'release-manager': { purpose: 'owners of the release process', permissions: [...READER, 'gate:evaluate', 'release:report', 'gate:waive', 'gate:override'], requiresTeams: false },
  auditor: { purpose: 'read-only review of decisions and changes', permissions: [...READER, 'audit:read'], requiresTeams: false },
  admin: { purpose: 'token management and everything else', permissions: PERMISSION_NAMES, requiresTeams: false },
};

export function roleHas(role: Role, permission: Permission): boolean {
  return ROLE_GRANTS[role].permissions.includes(permission);
}

/** How one operation (a GraphQL field or an HTTP endpoint) is guarded. */
export interface OperationRule {
  permission: Permission;
  /**
   * The service the operation acts on, from its arguments. A caller whose token names
   * teams may act only on services one of its teams owns.
   */
  service?: (args: Record<string, unknown>) => string | undefined;
  /**
   * Write an audit entry for every call (mutations always get one). `detail` turns the
   * result into the entry's detail text (e.g. a gate's verdict and decision id).
   */
  audit?: { detail?: (result: unknown) => string };
}

const serviceArg = (args: Record<string, unknown>) => (typeof args.service === 'string' ? args.service : undefined);
/** The service of a mutation's `input` (release reports). */
const inputServiceArg = (args: Record<string, unknown>) => serviceArg((args.input ?? {}) as Record<string, unknown>);

/**
 * Every GraphQL root field (`Type.field`) and HTTP endpoint (`HTTP …`) with its rule.
 * Nested fields inherit their root field's decision; a nested field may be listed here
 * to be guarded on its own.
 */
export const OPERATION_RULES: Record<string, OperationRule> = {
  'Query.whoami': { permission: 'self:read' },
  'Query.health': { permission: 'status:read' },
  'Query.slos': { permission: 'status:read' },
  'Query.slo': { permission: 'status:read' },
  'Query.sloTransitions': { permission: 'status:read' },
  'Query.spanEstimate': { permission: 'status:read' },
  'Query.backtest': { permission: 'status:read' },
  'Query.tuneAlerts': { permission: 'status:read' },
  'Query.sloTargets': { permission: 'status:read' },
  'Query.sloReport': { permission: 'status:read' },
  'Subscription.sloTransitions': { permission: 'status:read' },
  'Query.sloStatuses': { permission: 'status:read' },
  'Query.sliSeries': { permission: 'status:read' },
  'Query.breachHistory': { permission: 'status:read' },
  'Query.releaseSlis': { permission: 'status:read' },
  'Query.buildMetrics': { permission: 'status:read' },
  'Subscription.breaches': { permission: 'status:read' },
  'Subscription.sloStateChanges': { permission: 'status:read' },
  'Mutation.reportDeployStarted': { permission: 'release:report', service: inputServiceArg },
  'Mutation.reportDeployFinished': { permission: 'release:report', service: inputServiceArg },
  'Mutation.reportBuildMetrics': { permission: 'release:report', service: inputServiceArg },
  'Query.doraMetrics': { permission: 'status:read' },
  'Query.benchmarks': { permission: 'status:read' },
  'Query.canaryComparison': { permission: 'status:read' },
  'Query.rollbackRequests': { permission: 'status:read' },
  'Subscription.rollbackRequests': { permission: 'status:read' },
  'Query.gate': {
    permission: 'gate:evaluate',
    service: serviceArg,
    audit: {
      detail: (result) => {
        const r = result as { verdict?: unknown; decisionId?: unknown; policyVersion?: unknown } | null;
        return `verdict=${String(r?.verdict)} decisionId=${String(r?.decisionId)} policyVersion=${String(r?.policyVersion)}`;
      },
    },
  },
  'Query.gateDecision': { permission: 'status:read' },
  'Query.gateDecisions': { permission: 'status:read' },
  'Query.gatePolicies': { permission: 'status:read' },
  'Subscription.gateDecisions': { permission: 'status:read' },
  'Query.auditLog': { permission: 'audit:read' },
  'Query.verifyAuditChain': { permission: 'audit:read' },
  'Query.tokens': { permission: 'tokens:manage' },
  'Mutation.createToken': { permission: 'tokens:manage' },
  'Mutation.revokeToken': { permission: 'tokens:manage' },
  'HTTP POST /ingest/<signal>': { permission: 'events:ingest' },
  'HTTP POST /v1/traces, /v1/logs': { permission: 'events:ingest' },
  'HTTP POST /alerts/<source>': { permission: 'events:ingest' },
};

/** The rule of an operation; undefined when it has none (a root field without one is refused). */
export function ruleFor(operation: string): OperationRule | undefined {
  return Object.hasOwn(OPERATION_RULES, operation) ? OPERATION_RULES[operation] : undefined;
}

/** Roles allowed to run an operation, in ROLES order. */
export function rolesAllowed(operation: string): Role[] {
  const rule = ruleFor(operation);
  return rule ? ROLES.filter((role) => roleHas(role, rule.permission)) : [];
}
