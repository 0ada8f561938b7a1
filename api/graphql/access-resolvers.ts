import { z } from 'zod';
import { parseDurationMs } from '../../engine/core/time/duration.ts';
import type { ApiAccess } from '../auth/api-access.ts';
import { ROLE_GRANTS } from '../auth/roles.ts';
import { TokenInputError } from '../auth/token-admin.ts';
import { tokenStatus, type TokenRecord } from '../auth/token-store.ts';
import { apiError } from './api-error.ts';
import { paginate, pageSize } from './cursor-pagination.ts';
import { principalOf } from './graphql-context.ts';

/** The GraphQL view of a token: never its secret or hash. */
export function tokenView(r: TokenRecord, nowMs: number) {
  return {
    id: r.id, name: r.name, role: r.role, teams: r.teams, createdAt: r.createdAtMs, createdBy: r.createdBy,
    expiresAt: r.expiresAtMs, revokedAt: r.revokedAtMs, revokedBy: r.revokedBy || null, status: tokenStatus(r, nowMs).toUpperCase(),
  };
}

const TokenKey = z.tuple([z.number(), z.string()]);

/** `expiresIn` text: a duration (`90d`, `12h`) or `never`. */
export function parseLifetime(text: string, argument: string): number | null {
  if (text.trim() === 'never') return null;
  const ms = parseDurationMs(text);
  if (ms === undefined) throw apiError('BAD_USER_INPUT', `${argument} must be a duration such as 90d, 12h or 30m, or never; got ${JSON.stringify(text)}`, { argument });
  return ms;
}

function asApiError(err: unknown): never {
  if (err instanceof TokenInputError) throw apiError(err.notFound ? 'NOT_FOUND' : 'BAD_USER_INPUT', err.message, { argument: err.argument });
  throw err;
}

/** whoami, tokens, createToken, revokeToken. Access checks wrap them (field-authorization.ts). */
export function accessResolvers(access: ApiAccess) {
  const now = access.now;
  return {
    Query: {
      whoami: (_: unknown, __: unknown, context: unknown) => {
        const p = principalOf(context);
        return {
          id: p.id, name: p.name, role: p.role, teams: p.teams, kind: p.kind.toUpperCase(),
          permissions: p.role === 'operator' ? [] : ROLE_GRANTS[p.role].permissions,
          authMode: access.authenticator.mode.toUpperCase(),
        };
      },
      tokens: async (_: unknown, args: { first?: number | null; after?: string | null; includeRevoked?: boolean | null }) => {
        const nowMs = now();
        const first = pageSize(args.first, { default: 50, max: 500 });
        const all = (await access.tokens.list()).filter((r) => args.includeRevoked || r.revokedAtMs === null);
        // newest first; ties by id: a total, stable order for keyset cursors
        const key = (r: TokenRecord): [number, string] => [r.createdAtMs, r.id];
        const before = (a: [number, string], b: [number, string]) => a[0] < b[0] || (a[0] === b[0] && a[1] > b[1]);
        return paginate({
          kind: 'tokens', first, after: args.after, keySchema: TokenKey,
          keyOf: (node: ReturnType<typeof tokenView>) => [node.createdAt, node.id] as [number, string],
          fetch: async (limit, after) => all.filter((r) => after === undefined || before(key(r), after)).slice(0, limit).map((r) => tokenView(r, nowMs)),
        });
      },
    },
    Mutation: {
      createToken: async (_: unknown, args: { input: { name: string; role: string; teams?: string[] | null; expiresIn?: string | null } }, context: unknown) => {
        const { input } = args;
        const expiresInMs = parseLifetime(input.expiresIn ?? '90d', 'input.expiresIn');
        const created = await access.tokens.create({ name: input.name, role: input.role, teams: input.teams ?? [], expiresInMs }, principalOf(context)).catch(asApiError);
        return { token: tokenView(created.record, now()), secret: created.secret };
      },
      revokeToken: async (_: unknown, args: { id: string }, context: unknown) => {
        const revoked = await access.tokens.revoke(args.id, principalOf(context)).catch(asApiError);
        return tokenView(revoked, now());
      },
    },
  };
}
