// Renders docs/api-security.md's roles tables from roles.ts, so the docs cannot drift from
// the code: `node api/auth/roles-doc.ts` rewrites the block between the markers;
// test/api/auth/roles-doc.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { OPERATION_RULES, PERMISSION_NAMES, PERMISSIONS, ROLE_GRANTS, ROLES, roleHas } from './roles.ts';

export const START = '<!-- roles:start (generated from api/auth/roles.ts by `node api/auth/roles-doc.ts`) -->';
export const END = '<!-- roles:end -->';

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderRolesTables(): string {
  const operations = (permission: string) =>
    Object.entries(OPERATION_RULES).filter(([, r]) => r.permission === permission).map(([op, r]) => `\`${op}\`${r.service ? ' (team-scoped by service)' : ''}${r.audit || op.startsWith('Mutation.') ? ' (audited)' : ''}`);
  const matrix = [
    `| permission | ${ROLES.join(' | ')} | what it allows | operations |`,
    `| --- | ${ROLES.map(() => ':---:').join(' | ')} | --- | --- |`,
    ...PERMISSION_NAMES.map((p) => `| \`${p}\` | ${ROLES.map((r) => (roleHas(r, p) ? '✓' : '')).join(' | ')} | ${cell(PERMISSIONS[p])} | ${cell(operations(p).join(', ') || 'none yet')} |`),
  ];
  const roles = [
    '| role | for | must name teams |',
    '| --- | --- | --- |',
    ...ROLES.map((r) => `| \`${r}\` | ${cell(ROLE_GRANTS[r].purpose)} | ${ROLE_GRANTS[r].requiresTeams ? 'yes (`--team`)' : 'no'} |`),
  ];
  return [START, ...roles, '', ...matrix, END].join('\n');
}

export function replaceRolesTables(doc: string): string {
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  if (from < 0 || to < 0) throw new Error('docs/api-security.md has no roles markers');
  return doc.slice(0, from) + renderRolesTables() + doc.slice(to + END.length);
}

export const DOC_PATH = new URL('../../docs/api-security.md', import.meta.url);

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(DOC_PATH, replaceRolesTables(readFileSync(DOC_PATH, 'utf8')));
  console.log('docs/api-security.md roles tables updated');
}
