import type { SeriesMinute } from '../core/history/minute-series.ts';
import type { Slo } from '../core/slo/slo-definition.ts';

/**
 * Where an SLO's minute counts come from (docs/history.md, "Storage"):
 *  - `signals`: signal rollups, derived per indicator kind (any SLO, also a new one);
 *  - `slo-rollups`: `sli_rollups`, the live engine's exact counts of an SLO by name;
 *  - `raw-logs`: the raw log records (errorLogRatio with a `match`; 14 days).
 */
export type MinuteSource = 'signals' | 'slo-rollups' | 'raw-logs';

/** Receives the minutes of a read one by one (no array of objects for 100 000s of minutes). */
export type MinuteSink = (minuteStartMs: number, good: number, total: number, uncertain: number, estimated: boolean) => void;

/** Counts of one release (version) over a range. */
export interface VersionCounts {
  version: string;
  good: number;
  total: number;
  uncertain: number;
  /** First and last minute with events of this version in the range, epoch ms. */
  firstMinuteMs: number;
  lastMinuteMs: number;
}

/** An incident as recorded (latest state). */
export interface IncidentRecord {
  incidentId: string;
  severity: string;
  title: string;
  openedAtMs: number;
  /** null while open. */
  resolvedAtMs: number | null;
  linkedDeployId: string;
}

/** A deploy as recorded (latest state). */
export interface DeployRecord {
  deployId: string;
  version: string;
  team: string;
  status: string;
  startedAtMs: number;
  finishedAtMs: number | null;
  emergency: boolean;
  changeTicket: string;
}

/** A published event-time transition, as stored in `slo_transitions`. */
export interface RecordedTransition {
  from: string;
  to: string;
  atMs: number;
  reason: string;
  /** '' when no rule caused it. */
  rule: string;
}

/** One recorded version of an SLO definition (`slo_definitions`). */
export interface DefinitionVersion {
  slo: string;
  fingerprint: string;
  /** The document as loaded (apiVersion, kind, metadata, spec). */
  definition: unknown;
  team: string;
  file: string;
  loadedAtMs: number;
  loadedBy: string;
  removed: boolean;
}

/** What history reads. Implementations: ClickHouseHistoryStore, InMemoryHistoryStore. */
export interface HistoryStore {
  /** The SLO's minutes of `[fromMs, toMs)` from `source`, passed to `sink`. */
  minutes(slo: Slo, source: MinuteSource, fromMs: number, toMs: number, sink: MinuteSink): Promise<void>;
  /** Start of the first minute before `beforeMs` with data for the SLO in `source`, epoch ms; undefined when none. */
  historyStart(slo: Slo, source: MinuteSource, beforeMs: number): Promise<number | undefined>;
  /** Counts per version over `[fromMs, toMs)` (signals or slo-rollups). */
  versions(slo: Slo, source: Exclude<MinuteSource, 'raw-logs'>, fromMs: number, toMs: number): Promise<VersionCounts[]>;
  incidents(service: string, environment: string, fromMs: number, toMs: number): Promise<IncidentRecord[]>;
  /** Deploys started in `[fromMs, toMs)`, and the last successful one before `fromMs`, oldest first. */
  deploys(service: string, environment: string, fromMs: number, toMs: number): Promise<DeployRecord[]>;
  transitions(sloName: string, fromMs: number, toMs: number): Promise<RecordedTransition[]>;
  /** Recorded definition versions (of `names`, or all), oldest first per SLO. */
  definitionVersions(names?: readonly string[]): Promise<DefinitionVersion[]>;
  /** When counting signal rollups at ingest took over (migration 0012 ran), epoch ms; undefined when unknown. */
  signalEpochMs(): Promise<number | undefined>;
}

/**
 * In-memory history (the standard fake, and the shape the tests fill): minutes per SLO name
 * and source, incidents and deploys per `service/environment`, transitions per SLO,
 * definition versions.
 */
export class InMemoryHistoryStore implements HistoryStore {
  readonly minuteRows = new Map<string, (SeriesMinute & { estimated?: boolean })[]>();
  readonly versionRows = new Map<string, VersionCounts[]>();
  readonly incidentRows = new Map<string, IncidentRecord[]>();
  readonly deployRows = new Map<string, DeployRecord[]>();
  readonly transitionRows = new Map<string, RecordedTransition[]>();
  readonly definitionRows: DefinitionVersion[] = [];
  epochMs: number | undefined;
  /** Reads made, for tests that check what was asked (source, range). */
  readonly reads: { slo: string; source: MinuteSource; fromMs: number; toMs: number }[] = [];

  /** Stores minutes of an SLO (by name) for a source. */
  setMinutes(sloName: string, source: MinuteSource, minutes: readonly (SeriesMinute & { estimated?: boolean })[]): this {
    this.minuteRows.set(`${source}/${sloName}`, [...minutes]);
    return this;
  }

  async minutes(slo: Slo, source: MinuteSource, fromMs: number, toMs: number, sink: MinuteSink): Promise<void> {
    this.reads.push({ slo: slo.name, source, fromMs, toMs });
    for (const m of this.minuteRows.get(`${source}/${slo.name}`) ?? []) {
      if (m.minuteStartMs >= fromMs && m.minuteStartMs < toMs) sink(m.minuteStartMs, m.good, m.total, m.uncertain ?? 0, m.estimated ?? false);
    }
  }

  async historyStart(slo: Slo, source: MinuteSource, beforeMs: number): Promise<number | undefined> {
    const first = (this.minuteRows.get(`${source}/${slo.name}`) ?? []).filter((m) => m.minuteStartMs < beforeMs && m.total > 0).map((m) => m.minuteStartMs);
    return first.length === 0 ? undefined : Math.min(...first);
  }

  async versions(slo: Slo, source: Exclude<MinuteSource, 'raw-logs'>, fromMs: number, toMs: number): Promise<VersionCounts[]> {
    return (this.versionRows.get(`${source}/${slo.name}`) ?? []).filter((v) => v.lastMinuteMs >= fromMs && v.firstMinuteMs < toMs);
  }

  async incidents(service: string, environment: string, fromMs: number, toMs: number): Promise<IncidentRecord[]> {
    return (this.incidentRows.get(`${service}/${environment}`) ?? []).filter((i) => i.openedAtMs >= fromMs && i.openedAtMs < toMs);
  }

  async deploys(service: string, environment: string, fromMs: number, toMs: number): Promise<DeployRecord[]> {
    const all = [...(this.deployRows.get(`${service}/${environment}`) ?? [])].sort((a, b) => a.startedAtMs - b.startedAtMs);
    const before = all.filter((d) => d.startedAtMs < fromMs && d.status === 'succeeded').at(-1);
    return [...(before ? [before] : []), ...all.filter((d) => d.startedAtMs >= fromMs && d.startedAtMs < toMs)];
  }

  async transitions(sloName: string, fromMs: number, toMs: number): Promise<RecordedTransition[]> {
    return (this.transitionRows.get(sloName) ?? []).filter((t) => t.atMs >= fromMs && t.atMs < toMs);
  }

  async definitionVersions(names?: readonly string[]): Promise<DefinitionVersion[]> {
    return this.definitionRows.filter((d) => names === undefined || names.includes(d.slo)).sort((a, b) => a.slo.localeCompare(b.slo) || a.loadedAtMs - b.loadedAtMs);
  }

  async signalEpochMs(): Promise<number | undefined> {
    return this.epochMs;
  }
}
