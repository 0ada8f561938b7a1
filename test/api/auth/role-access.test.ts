import { buildSchema, isEnumType, isInputObjectType, isNonNullType, isObjectType, isScalarType, type GraphQLArgument, type GraphQLField, type GraphQLInputType } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, rolesAllowed, type Role } from '../../../api/auth/roles.ts';
import { staticOwnership } from '../../../api/auth/service-ownership.ts';
import { TYPE_DEFS } from '../../../api/graphql/graphql-server.ts';
import { startTestApi, type TestApi } from '../http/api-harness.ts';
import { fixedGate } from '../http/gate-fixtures.ts';

const schema = buildSchema(TYPE_DEFS);

/** A GraphQL literal for a required argument of this type. */
function literal(type: GraphQLInputType): string {
  const t = isNonNullType(type) ? type.ofType : type;
  if (isInputObjectType(t)) {
    const fields = Object.values(t.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return `{ ${fields.map((f) => `${f.name}: ${literal(f.type)}`).join(', ')} }`;
  }
  if (isEnumType(t)) return t.getValues()[0]!.name;
  if (isScalarType(t)) return ({ Int: '1', Float: '1', Boolean: 'true', EpochMs: '0', BreachStatus: '"OK"' } as Record<string, string>)[t.name] ?? '"x"';
  throw new Error(`no literal for ${String(t)}`);
}

/** The smallest valid operation calling one root field. */
function operationFor(kind: 'query' | 'mutation' | 'subscription', field: GraphQLField<unknown, unknown>): string {
  const args = field.args.filter((a: GraphQLArgument) => isNonNullType(a.type));
  const named = (() => { let t = field.type; while ('ofType' in t) t = t.ofType; return t; })();
  const selection = isObjectType(named) ? ' { __typename }' : '';
  return `${kind} { ${field.name}${args.length ? `(${args.map((a) => `${a.name}: ${literal(a.type)}`).join(', ')})` : ''}${selection} }`;
}

const queries = Object.values(schema.getQueryType()!.getFields()).map((f) => ({ op: `Query.${f.name}`, text: operationFor('query', f) }));
const mutations = Object.values(schema.getMutationType()!.getFields()).map((f) => ({ op: `Mutation.${f.name}`, text: operationFor('mutation', f) }));

describe('access per role, over the whole API', () => {
  let api: TestApi;
  const tokens = {} as Record<Role, string>;
  beforeAll(async () => {
    api = await startTestApi({ gate: fixedGate('PASS'), ownership: staticOwnership({ x: ['payments'] }) });
    for (const role of ROLES) tokens[role] = await api.tokenFor(role);
  });
  afterAll(async () => api.close());

  it('answers every operation without a token with 401 UNAUTHENTICATED, before running anything', async () => {
    for (const { text } of [...queries, ...mutations]) {
      const { status, body } = await api.graphql(text);
      expect(status).toBe(401);
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(body.data).toBeUndefined();
    }
    expect(api.auditStore.entries).toEqual([]);
  });

  it.each(ROLES)('%s: every query and mutation is allowed or FORBIDDEN exactly as api/auth/roles.ts says', async (role) => {
    for (const { op, text } of [...queries, ...mutations]) {
      const { body } = await api.graphql(text, { token: tokens[role] });
      const codes = (body.errors ?? []).map((e) => e.extensions?.code);
      if (rolesAllowed(op).includes(role)) expect(codes, `${role} ${op}`).not.toContain('FORBIDDEN');
      else expect(codes, `${role} ${op}`).toEqual(['FORBIDDEN']);
    }
  });

  it('refuses a viewer every mutation with FORBIDDEN and records each attempt as denied', async () => {
    const before = api.auditStore.entries.length;
    for (const { op, text } of mutations) {
      const { body } = await api.graphql(text, { token: tokens.viewer });
      expect(body.errors?.[0]?.extensions?.code, op).toBe('FORBIDDEN');
      expect(body.errors?.[0]?.message).toMatch(new RegExp(`role viewer may not run ${op}`));
    }
    const denied = api.auditStore.entries.slice(before);
    expect(denied.map((e) => [e.operation, e.outcome, e.actor.role])).toEqual(mutations.map((m) => [m.op, 'denied', 'viewer']));
  });

  it('lets a team-owner ask for gates only on its teams\' services', async () => {
    const gate = (service: string) => api.graphql(`{ gate(service: "${service}", environment: "production", version: "2") { verdict } }`, { token: tokens['team-owner'] });
    expect((await gate('x')).body.data).toEqual({ gate: { verdict: 'PASS' } });
    const other = await gate('search');
    expect(other.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(other.body.errors?.[0]?.message).toMatch(/team payments; service "search" is not theirs \(no owning team is known\)/);
  });

  it('checks subscriptions too: no token closes the connection, a role without status:read is FORBIDDEN', async () => {
    const subscribe = (token: string | undefined) => new Promise<string>((resolve) => {
      const client = createClient({ url: `${api.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: token ? { authorization: `Bearer ${token}` } : {} });
      client.subscribe({ query: 'subscription { sloTransitions { id } }' }, {
        next: (msg) => resolve(String((msg.errors as { extensions?: { code?: string } }[] | undefined)?.[0]?.extensions?.code ?? 'data')),
        error: (err) => resolve(err instanceof CloseEvent || (err as { code?: number }).code !== undefined ? `closed ${(err as { code: number }).code}` : String((err as { extensions?: { code?: string } }[])[0]?.extensions?.code)),
        complete: () => resolve('complete'),
      });
      setTimeout(() => void client.dispose(), 3_000);
    });
    expect(await subscribe(undefined)).toBe('closed 4403');
    expect(await subscribe(tokens.ingest)).toBe('FORBIDDEN');
  });
});
