import { hostname } from 'node:os';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { AuditLog } from '../audit/audit-log.ts';
import type { AuditStore } from '../audit/audit-store.ts';
import { ClickHouseAuditStore } from '../audit/clickhouse-audit-store.ts';
import type { InsertJournal } from '../../platform/clickhouse/insert-journal.ts';
import { decideAuthMode, type AuthSetting } from './auth-mode.ts';
import { Authenticator, type AuthMode } from './authenticator.ts';
import { ClickHouseTokenStore } from './clickhouse-token-store.ts';
import { NO_KNOWN_OWNERS, type ServiceOwnership } from './service-ownership.ts';
import { TokenAdmin } from './token-admin.ts';
import { tokenStatus, type TokenStore } from './token-store.ts';

/** Everything the API needs to know who calls and to record what they did. */
export interface ApiAccess {
  authenticator: Authenticator;
  tokens: TokenAdmin;
  audit: AuditLog;
  auditStore: AuditStore;
  ownership: ServiceOwnership;
  /** Wall clock, epoch ms: token expiry and status, audit times. */
  now: () => number;
  /** Why the auth mode is what it is, for the start-up banner. */
  modeReason: string;
}

/** Wires the access parts over given stores (tests pass in-memory ones). */
export function createApiAccess(opts: {
  mode: AuthMode;
  modeReason?: string;
  tokenStore: TokenStore;
  auditStore: AuditStore;
  /** Names this process's audit chains, e.g. `api@host:pid`. */
  auditWriter: string;
  now: () => number;
  ownership?: ServiceOwnership;
  tokenRefreshMs?: number;
}): ApiAccess {
  const authenticator = new Authenticator({ mode: opts.mode, store: opts.tokenStore, now: opts.now, ...(opts.tokenRefreshMs !== undefined ? { refreshMs: opts.tokenRefreshMs } : {}) });
  return {
    authenticator,
    tokens: new TokenAdmin({ store: opts.tokenStore, now: opts.now, onChange: () => authenticator.invalidate() }),
    audit: new AuditLog({ store: opts.auditStore, writer: opts.auditWriter, now: opts.now }),
    auditStore: opts.auditStore,
    ownership: opts.ownership ?? NO_KNOWN_OWNERS,
    now: opts.now,
    modeReason: opts.modeReason ?? `SLUICE_AUTH=${opts.mode}`,
  };
}

/**
 * Access for a serving process (`sluice start`, `sluice api`): tokens and audit in
 * ClickHouse, the auth mode decided from SLUICE_AUTH, the bind address and whether any
 * token exists (auth-mode.ts). Throws ConfigError when the combination would be unsafe.
 */
export async function openApiAccess(opts: {
  setting: AuthSetting;
  host: string;
  port: number;
  process: 'embedded' | 'cluster-api';
  clickhouse: ClickHouseClient;
  /** The embedded store's insert journal: audit entries are acknowledged once journaled. */
  journal?: InsertJournal | undefined;
  logger: Logger;
  now?: () => number;
}): Promise<ApiAccess> {
  const now = opts.now ?? Date.now;
  const tokenStore = new ClickHouseTokenStore(opts.clickhouse, opts.logger);
  const activeTokens = (await tokenStore.all()).filter((r) => tokenStatus(r, now()) === 'active').length;
  const { mode, reason } = decideAuthMode({ setting: opts.setting, host: opts.host, activeTokens, process: opts.process });
  opts.logger.info({ mode, reason }, 'API auth mode');
  return createApiAccess({
    mode,
    modeReason: reason,
    tokenStore,
    auditStore: new ClickHouseAuditStore(opts.clickhouse, { journal: opts.journal }),
    auditWriter: `${opts.process === 'embedded' ? 'start' : 'api'}@${hostname()}:${opts.port}:${process.pid}`,
    now,
  });
}
