import { buildSchema, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUERY_LIMITS, measureDocument, queryLimitError } from '../../../api/graphql/query-limits.ts';
import { TYPE_DEFS } from '../../../api/graphql/graphql-server.ts';
import type { GateResolver } from '../../../api/graphql/gate-contract.ts';
import { startTestApi, type TestApi } from './api-harness.ts';
import { gateDecision } from './gate-fixtures.ts';

const schema = buildSchema(TYPE_DEFS);
const measure = (q: string) => measureDocument(schema, parse(q));

const INTROSPECTION = `query IntrospectionQuery { __schema { queryType { name } types { ...FullType } directives { name args { ...InputValue } } } }
fragment FullType on __Type { kind name fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef } } inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`;

describe('measuring an operation', () => {
  it.each([
    ['{ whoami { name } }', { depth: 2, aliases: 0, cost: 2 }],
    ['{ health { version clickhouse { reachable } } }', { depth: 3, aliases: 0, cost: 28 }],
    ['{ a: whoami { name } b: whoami { n: name } }', { depth: 2, aliases: 3, cost: 4 }],
    ['{ ...F ...F } fragment F on Query { x: whoami { name } }', { depth: 2, aliases: 2, cost: 4 }],
    ['{ whoami { __typename } }', { depth: 2, aliases: 0, cost: 1 }],
    ['mutation { createToken(input: {name: "a", role: "viewer"}) { token { id } } }', { depth: 3, aliases: 0, cost: 3 }],
  ])('%s → %j', (query, expected) => {
    expect(measure(query)).toMatchObject(expected);
  });

  it('measures fragments once each, so a fan-out of fragments cannot make measuring itself slow', () => {
    const levels = 30;
    const frags = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join('\n');
    const m = measure(`{ ...F0 }\n${frags}\nfragment F${levels} on Query { whoami { name } }`);
    expect(m.cost).toBe(2 ** levels * 2); // 2^30 uses, counted without visiting them
  });

  it('lets GraphiQL-style introspection through (its depth is capped on its own)', () => {
    expect(queryLimitError(schema, INTROSPECTION, DEFAULT_QUERY_LIMITS)).toBeUndefined();
    const tooDeep = `{ __schema { types { ${'ofType { '.repeat(20)}name${' }'.repeat(20)} } } }`;
    expect(queryLimitError(schema, tooDeep, DEFAULT_QUERY_LIMITS)?.message).toMatch(/introspection depth/);
  });

  it.each([
    ['depth', `{ health { clickhouse { reachable } } }`, { ...DEFAULT_QUERY_LIMITS, maxDepth: 2 }, /depth 3 > 2 \(SLUICE_GRAPHQL_MAX_DEPTH\)/],
    ['aliases', `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: whoami { name }`).join(' ')} }`, DEFAULT_QUERY_LIMITS, /aliases 31 > 30 \(SLUICE_GRAPHQL_MAX_ALIASES\)/],
    ['cost', `{ ${Array.from({ length: 21 }, (_, i) => `a${i}: spanEstimate(service: "s", from: 0, to: 1) { sampledTraces }`).join(' ')} }`, DEFAULT_QUERY_LIMITS, /cost 1071 > 1000 \(SLUICE_GRAPHQL_MAX_COST\)/],
    ['tokens', `{ ${'whoami { name } '.repeat(3000)} }`, DEFAULT_QUERY_LIMITS, /more than 10000 tokens/],
  ])('refuses an operation over its %s limit with QUERY_TOO_COMPLEX, naming the option', (_limit, query, limits, message) => {
    const error = queryLimitError(schema, query, limits);
    expect(error?.extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(error?.message).toMatch(message);
  });
});

describe('limits on the whole API', () => {
  let api: TestApi;
  let admin: string;
  let gateCalls = 0;
  const countingGate: GateResolver = async () => {
    gateCalls++;
    return gateDecision('PASS');
  };
  beforeAll(async () => {
    api = await startTestApi({ gate: countingGate, maxBodyBytes: 65_536 });
    admin = await api.tokenFor('admin');
  });
  afterAll(async () => api.close());

  it('refuses 300 aliases before any resolver runs', async () => {
    const query = `{ ${Array.from({ length: 300 }, (_, i) => `g${i}: gate(service: "checkout", environment: "production", version: "${i}") { verdict }`).join(' ')} }`;
    const { status, body } = await api.graphql(query, { token: admin });
    expect(status).toBe(400);
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'QUERY_TOO_COMPLEX', measured: { depth: 2, aliases: 300, cost: 15_300 } } })]);
    expect(gateCalls).toBe(0);
    expect(api.auditStore.entries).toEqual([]);
  });

  it('answers a body over the limit with 413 PAYLOAD_TOO_LARGE, not 500', async () => {
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query: '{ whoami { name } }', variables: { pad: 'x'.repeat(70_000) } }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ errors: [{ message: expect.stringMatching(/65536 bytes/), extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
  });

  it('applies the limits to GET queries too', async () => {
    const query = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: whoami { name }`).join(' ')} }`;
    const res = await fetch(`${api.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { authorization: `Bearer ${admin}`, 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('QUERY_TOO_COMPLEX');
  });
});
