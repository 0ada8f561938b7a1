import { defaultFieldResolver, type GraphQLField, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { apiError } from '../graphql/api-error.ts';
import { principalOf } from '../graphql/graphql-context.ts';
import { isObjectTypeTagged } from '../graphql/graphql-type-tags.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Principal } from './principal.ts';
import { OPERATION_RULES, roleHas, rolesAllowed, type OperationRule } from './roles.ts';
import type { ServiceOwnership } from './service-ownership.ts';

export interface FieldAuthorizationDeps {
  audit: AuditLog;
  ownership: ServiceOwnership;
  logger: Logger;
  /** Defaults to roles.ts's OPERATION_RULES. */
  rules?: Readonly<Record<string, OperationRule>>;
}

/**
 * Guards a schema with the permission table (roles.ts), in place: every root field, and
 * every other field the table lists, checks the caller before its resolver runs (for a
 * subscription: before it subscribes). A root field the table does not list is refused to
 * everyone. Mutations, and fields whose rule asks for it (the gate), write an audit entry
 * — allowed, denied or failed; a call whose entry cannot be written fails with UNAVAILABLE.
 */
export function authorizeSchema(schema: GraphQLSchema, deps: FieldAuthorizationDeps): GraphQLSchema {
  const rules = deps.rules ?? OPERATION_RULES;
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter((t) => t !== null && t !== undefined));
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectTypeTagged(type) || type.name.startsWith('__')) continue;
    const isRoot = roots.has(type);
    for (const field of Object.values(type.getFields())) {
      const operation = `${type.name}.${field.name}`;
      const rule = Object.hasOwn(rules, operation) ? rules[operation] : undefined;
      if (!rule && !isRoot) continue;
      const audited = type === schema.getMutationType() || rule?.audit !== undefined;
      if (type === schema.getSubscriptionType()) {
        field.subscribe = guard(field.subscribe ?? defaultFieldResolver, operation, rule, false, deps);
      } else {
        field.resolve = guard(field.resolve ?? defaultFieldResolver, operation, rule, audited, deps);
      }
    }
  }
  return schema;
}

/** The reason a caller may not run an operation, or undefined when it may. */
export async function denial(principal: Principal, operation: string, rule: OperationRule | undefined, args: Record<string, unknown>, ownership: ServiceOwnership): Promise<string | undefined> {
  if (!rule) return `${operation} has no access rule (api/auth/roles.ts), so it is refused to everyone`;
  if (principal.role === 'operator' || !roleHas(principal.role, rule.permission)) {
    return `role ${principal.role} may not run ${operation}: it needs permission ${rule.permission} (roles: ${rolesAllowed(operation).join(', ')})`;
  }
  const service = rule.service?.(args);
  if (service !== undefined && principal.teams.length > 0) {
    const owners = await ownership.teamsOf(service);
    if (!owners.some((team) => principal.teams.includes(team))) {
      const known = owners.length > 0 ? `owned by ${owners.join(', ')}` : 'no owning team is known';
      return `this token acts for team${principal.teams.length > 1 ? 's' : ''} ${principal.teams.join(', ')}; service ${JSON.stringify(service)} is not theirs (${known})`;
    }
  }
  return undefined;
}

function guard(
  resolve: GraphQLFieldResolver<unknown, unknown>,
  operation: string,
  rule: OperationRule | undefined,
  audited: boolean,
  deps: FieldAuthorizationDeps,
): GraphQLField<unknown, unknown>['resolve'] {
  return async (source, args: Record<string, unknown>, context, info) => {
    const principal = principalOf(context);
    const reason = await denial(principal, operation, rule, args, deps.ownership);
    const record = (outcome: 'ok' | 'denied' | 'error', detail: string) =>
      deps.audit.append({ actor: { id: principal.id, name: principal.name, role: principal.role }, operation, input: { ...args }, outcome, detail });
    if (reason !== undefined) {
      if (!rule) deps.logger.error({ operation }, 'GraphQL field without an access rule refused');
      if (audited) await record('denied', `FORBIDDEN: ${reason}`).catch((err: unknown) => deps.logger.error({ err, operation }, 'audit entry of a denied call not written'));
      throw apiError('FORBIDDEN', reason);
    }
    if (!audited) return resolve(source, args, context, info);
    let result: unknown;
    try {
      result = await resolve(source, args, context, info);
    } catch (err) {
      await record('error', errorSummary(err)).catch((auditErr: unknown) => deps.logger.error({ err: auditErr, operation }, 'audit entry of a failed call not written'));
      throw err;
    }
    try {
      await record('ok', rule?.audit?.detail?.(result) ?? 'ok');
    } catch (err) {
      deps.logger.error({ err, operation }, 'audit entry not written: result withheld');
      throw apiError('UNAVAILABLE', `${operation} ran but its audit entry could not be written, so its result is withheld; retry later`);
    }
    return result;
  };
}

/** An error as the audit log records it: code, and the message of expected errors only. */
function errorSummary(err: unknown): string {
  const code = (err as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  if (typeof code === 'string') return `${code}: ${(err as Error).message}`;
  return 'INTERNAL_SERVER_ERROR';
}
