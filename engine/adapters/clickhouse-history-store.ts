import type { ClickHouseClient } from '@clickhouse/client';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import {
  definitionVersionsQuery,
  deploysQuery,
  incidentsQuery,
  rawLogMinutesQuery,
  signalDerivation,
  signalEpochQuery,
  signalHistoryStartQuery,
  signalMinutesQuery,
  signalVersionsQuery,
  sloHistoryStartQuery,
  sloMinutesQuery,
  sloVersionsQuery,
  transitionsQuery,
  type SignalDerivation,
  type SqlQuery,
} from './history-queries.ts';
import type {
  DefinitionVersion,
  DeployRecord,
  HistoryStore,
  IncidentRecord,
  MinuteSink,
  MinuteSource,
  RecordedTransition,
  VersionCounts,
} from './history-store.ts';

/** Bytes of one minute row in RowBinary: UInt32 minute_s, Float64 good, total, uncertain, UInt8 estimated. */
const MINUTE_ROW_BYTES = 4 + 8 + 8 + 8 + 1;

/**
 * History in ClickHouse. Minute reads are grouped per minute in ClickHouse and streamed as
 * RowBinary (29 bytes a minute: a 125-day read is 5 MB, parsed without a JSON object per
 * minute); everything else is JSONEachRow. SQL from history-queries.ts.
 */
export class ClickHouseHistoryStore implements HistoryStore {
  private readonly client: ClickHouseClient;
  private epoch: Promise<number | undefined> | undefined;

  constructor(client: ClickHouseClient) {
    this.client = client;
  }

  async minutes(slo: Slo, source: MinuteSource, fromMs: number, toMs: number, sink: MinuteSink): Promise<void> {
    const q = source === 'signals' ? signalMinutesQuery(slo, derivationOf(slo), fromMs, toMs) : source === 'slo-rollups' ? sloMinutesQuery(slo, fromMs, toMs) : rawLogMinutesQuery(slo, fromMs, toMs);
    const result = await this.client.exec({ query: `${q.sql}\nFORMAT RowBinary`, query_params: q.params });
    let carry: Buffer | undefined;
    for await (const chunk of result.stream as AsyncIterable<Buffer>) {
      const buf: Buffer = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
      const whole = buf.length - (buf.length % MINUTE_ROW_BYTES);
      // DataView reads compile to plain loads; Buffer.readDoubleLE copies byte by byte
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      for (let o = 0; o < whole; o += MINUTE_ROW_BYTES) {
        sink(view.getUint32(o, true) * 1000, view.getFloat64(o + 4, true), view.getFloat64(o + 12, true), view.getFloat64(o + 20, true), view.getUint8(o + 28) !== 0);
      }
      carry = whole < buf.length ? buf.subarray(whole) : undefined;
    }
    if (carry !== undefined) throw new SluiceError('HISTORY_BAD_RESULT', `minute rows of ${slo.name} ended mid-row (${carry.length} bytes left)`);
  }

  async historyStart(slo: Slo, source: MinuteSource, beforeMs: number): Promise<number | undefined> {
    if (source === 'raw-logs') return undefined;
    const q = source === 'signals' ? signalHistoryStartQuery(slo, derivationOf(slo), beforeMs) : sloHistoryStartQuery(slo, beforeMs);
    const [row] = await this.rows<{ first_s: number | string; n: number | string }>(q);
    return row === undefined || Number(row.n) === 0 ? undefined : Number(row.first_s) * 1000;
  }

  async versions(slo: Slo, source: Exclude<MinuteSource, 'raw-logs'>, fromMs: number, toMs: number): Promise<VersionCounts[]> {
    const q = source === 'signals' ? signalVersionsQuery(slo, derivationOf(slo), fromMs, toMs) : sloVersionsQuery(slo, fromMs, toMs);
    return (await this.rows<{ version: string; good: number; total: number; uncertain: number; first_s: number | string; last_s: number | string }>(q)).map((r) => ({
      version: r.version, good: Number(r.good), total: Number(r.total), uncertain: Number(r.uncertain), firstMinuteMs: Number(r.first_s) * 1000, lastMinuteMs: Number(r.last_s) * 1000,
    }));
  }

  async incidents(service: string, environment: string, fromMs: number, toMs: number): Promise<IncidentRecord[]> {
    return (await this.rows<{ incident_id: string; severity: string; title: string; opened_ms: number | string; resolved_ms: number | string; linked_deploy_id: string }>(incidentsQuery(service, environment, fromMs, toMs)))
      .map((r) => ({ incidentId: r.incident_id, severity: r.severity, title: r.title, openedAtMs: Number(r.opened_ms), resolvedAtMs: Number(r.resolved_ms) < 0 ? null : Number(r.resolved_ms), linkedDeployId: r.linked_deploy_id }));
  }

  async deploys(service: string, environment: string, fromMs: number, toMs: number): Promise<DeployRecord[]> {
    return (await this.rows<{ deploy_id: string; version: string; team: string; status: string; started_ms: number | string; finished_ms: number | string; emergency: boolean | number; change_ticket: string }>(deploysQuery(service, environment, fromMs, toMs)))
      .map((r) => ({
        deployId: r.deploy_id, version: r.version, team: r.team, status: r.status, startedAtMs: Number(r.started_ms),
        finishedAtMs: Number(r.finished_ms) < 0 ? null : Number(r.finished_ms), emergency: r.emergency === true || r.emergency === 1, changeTicket: r.change_ticket,
      }));
  }

  async transitions(sloName: string, fromMs: number, toMs: number): Promise<RecordedTransition[]> {
    return (await this.rows<{ from_status: string; to_status: string; at_ms: number | string; reason: string; rule: string }>(transitionsQuery(sloName, fromMs, toMs)))
      .map((r) => ({ from: r.from_status, to: r.to_status, atMs: Number(r.at_ms), reason: r.reason, rule: r.rule }));
  }

  async definitionVersions(names?: readonly string[]): Promise<DefinitionVersion[]> {
    const rows = await this.rows<{ slo: string; fingerprint: string; definition: string; team: string; file: string; loaded_ms: number | string; loaded_by: string; removed: number | boolean }>(definitionVersionsQuery(names));
    return rows.flatMap((r) => {
      let definition: unknown;
      try {
        definition = JSON.parse(r.definition);
      } catch {
        return [];
      }
      return [{ slo: r.slo, fingerprint: r.fingerprint, definition, team: r.team, file: r.file, loadedAtMs: Number(r.loaded_ms), loadedBy: r.loaded_by, removed: r.removed === 1 || r.removed === true }];
    });
  }

  /** Read once per store: it changes only when the migration runs, before anything reads history. */
  signalEpochMs(): Promise<number | undefined> {
    this.epoch ??= this.rows<{ applied_ms: number | string; n: number | string }>(signalEpochQuery())
      .then(([row]) => (row === undefined || Number(row.n) === 0 ? undefined : Number(row.applied_ms)))
      .catch((err: unknown) => {
        this.epoch = undefined;
        throw err;
      });
    return this.epoch;
  }

  private async rows<T>(q: SqlQuery): Promise<T[]> {
    return (await this.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' })).json<T>();
  }
}

function derivationOf(slo: Slo): SignalDerivation {
  const d = signalDerivation(slo);
  if ('notDerivable' in d) throw new SluiceError('HISTORY_NOT_DERIVABLE', `${slo.name}: ${d.notDerivable}`);
  return d;
}
