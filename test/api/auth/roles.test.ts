import { readFileSync } from 'node:fs';
import { buildSchema, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DOC_PATH, renderRolesTables, replaceRolesTables } from '../../../api/auth/roles-doc.ts';
import { OPERATION_RULES, PERMISSION_NAMES, ROLE_GRANTS, ROLES, rolesAllowed } from '../../../api/auth/roles.ts';
import { TYPE_DEFS } from '../../../api/graphql/graphql-server.ts';

const schema = buildSchema(TYPE_DEFS);
const rootFields = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
  .filter((t) => t !== null && t !== undefined && isObjectType(t))
  .flatMap((t) => Object.keys(t!.getFields()).map((f) => `${t!.name}.${f}`));

describe('the permission table (api/auth/roles.ts)', () => {
  it('has a rule for every root field of the schema (a field without one is refused to everyone)', () => {
    expect(rootFields.filter((f) => !Object.hasOwn(OPERATION_RULES, f))).toEqual([]);
  });

  it('lists no GraphQL field the schema does not have', () => {
    const graphqlRules = Object.keys(OPERATION_RULES).filter((op) => !op.startsWith('HTTP '));
    const known = new Set(Object.values(schema.getTypeMap()).filter(isObjectType).flatMap((t) => Object.keys(t.getFields()).map((f) => `${t.name}.${f}`)));
    expect(graphqlRules.filter((op) => !known.has(op))).toEqual([]);
  });

  it('grants only permissions that exist, and admin all of them', () => {
    for (const role of ROLES) for (const p of ROLE_GRANTS[role].permissions) expect(PERMISSION_NAMES).toContain(p);
    expect([...ROLE_GRANTS.admin.permissions].sort()).toEqual([...PERMISSION_NAMES].sort());
  });

  it.each([
    ['Mutation.createToken', ['admin']],
    ['Query.auditLog', ['auditor', 'admin']],
    ['Query.gate', ['ci', 'team-owner', 'sre', 'release-manager', 'admin']],
    ['HTTP POST /ingest/<signal>', ['ingest', 'admin']],
    ['Query.slos', ['viewer', 'ci', 'team-owner', 'sre', 'release-manager', 'auditor', 'admin']],
    ['Query.unknown', []],
  ])('%s is allowed to %j', (operation, roles) => {
    expect(rolesAllowed(operation)).toEqual(roles);
  });

  it('is what docs/api-security.md shows (run `node api/auth/roles-doc.ts` to fix)', () => {
    const doc = readFileSync(DOC_PATH, 'utf8');
    expect(doc).toContain(renderRolesTables());
    expect(replaceRolesTables(doc)).toBe(doc);
  });
});
