import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { SluiceError } from '../errors/sluice-error.ts';

/** Directory of the DDL migrations: `schema/clickhouse/NNNN_name.sql`, applied in name order. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../schema/clickhouse/', import.meta.url));

export interface Migration {
  id: string;
  sql: string;
  checksum: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(join(dir, file), 'utf8');
      return { id: file.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/** Splits a migration file into statements: `;` at a line end ends one; `--` comments dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order. Idempotent:
 * running it again applies nothing; DDL uses IF NOT EXISTS so a run interrupted midway
 * can be repeated. A recorded migration whose file changed is an error (edit by adding
 * a new migration, never by changing an applied one).
 */
export async function migrate(client: ClickHouseClient, migrations?: Migration[]): Promise<{ applied: string[] }> {
  const all = migrations ?? (await loadMigrations());
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (
      id String, checksum String, applied_at DateTime64(3, 'UTC')
    ) ENGINE = MergeTree ORDER BY id`,
  });
  const rows = await (await client.query({ query: 'SELECT id, checksum FROM schema_migrations', format: 'JSONEachRow' })).json<{
    id: string;
    checksum: string;
  }>();
  const done = new Map(rows.map((r) => [r.id, r.checksum]));
  const applied: string[] = [];
  for (const m of all) {
    const recorded = done.get(m.id);
    if (recorded !== undefined) {
      if (recorded !== m.checksum) {
        throw new SluiceError('MIGRATION_CHANGED', `migration ${m.id} was changed after it was applied; add a new migration instead`);
      }
      continue;
    }
    for (const statement of splitStatements(m.sql)) {
      await client.command({ query: statement });
    }
    await client.insert({
      table: 'schema_migrations',
      values: [{ id: m.id, checksum: m.checksum, applied_at: Date.now() }],
      format: 'JSONEachRow',
    });
    applied.push(m.id);
  }
  return { applied };
}
