import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { SluiceError, errorMessage } from '../errors/sluice-error.ts';
import type { ChdbEngineLogger } from './chdb-engine.ts';

/**
 * A local write-ahead journal in front of ClickHouse for small records a caller waits on:
 * gate decisions and audit entries. An append is one `write(2)` of one NDJSON line to a
 * file under the data directory and is acknowledged when that call returns; a copier
 * inserts the journal's rows into their tables in the background (one insert per journal
 * file, one file per table and round) and deletes a file once its rows are stored.
 *
 * **Why.** A ClickHouse insert costs a part on disk and, under ingest load, tens to
 * hundreds of milliseconds; a gate that waited for two of them (its decision, then its
 * audit entry) could not answer a CI job in milliseconds (issue "Release gates",
 * `npm run bench:gate`). The journal gives the same promise a ClickHouse insert gives
 * here — the bytes are in the operating system's page cache when the caller is answered,
 * so a killed process (kill -9) loses nothing acknowledged, and an OS crash or power loss
 * may lose what was not yet written back (neither fsyncs; docs/storage.md) — at the cost
 * of one system call.
 *
 * **Exactly once.** A journal file holds one table's rows as JSONEachRow — the bytes the
 * copy inserts, never encoded again — and is copied with one insert whose deduplication
 * token names the file (`insert_deduplication_token`; the journaled tables keep
 * `non_replicated_deduplication_window`). A copy that failed or was
 * cut by a crash after its insert is repeated with the same token, so ClickHouse drops the
 * repeat; a file's name carries a random run id, so a later run never reuses a token.
 * A process that opens the directory copies the files a previous one left (`open`).
 *
 * **Reads after writes.** `settled()` resolves when everything appended before it is in
 * ClickHouse (and rejects with the copy's error when the copy fails): readers of the
 * journaled tables call it first, so `gateDecision(id)` finds a decision just made.
 *
 * **Bounded.** When ClickHouse refuses the copies, rows wait on disk; past `maxBacklogBytes`
 * an append is refused (INSERT_JOURNAL_FULL, retriable), never dropped.
 */

/** Where journaled rows go: one insert of JSONEachRow bytes with a deduplication token. */
export interface JournalTarget {
  insert(table: string, jsonEachRow: Buffer, deduplicationToken: string): Promise<void>;
}

/** Structured logger (pino-compatible subset), as the engine's. */
export type InsertJournalLogger = ChdbEngineLogger;

export interface InsertJournalOptions {
  /** Directory of the journal files (created if missing), e.g. `<data dir>/journal`. */
  dir: string;
  target: JournalTarget;
  logger: InsertJournalLogger;
  /** Most time an appended row waits before a copy starts, ms (default 1 000; a reader waiting in `settled()` starts it at once): fewer, larger inserts. */
  copyDelayMs?: number;
  /** Bytes of rows waiting to be copied past which appends are refused (default 256 MiB). */
  maxBacklogBytes?: number;
  /** Pause after a failed copy, ms (default 1 000, doubling up to 30 000). */
  retryDelayMs?: number;
}

/** Counters and state for health and tests. */
export interface InsertJournalMetrics {
  /** Appends by this process. */
  appended: number;
  /** Rows stored in ClickHouse by the copier (including rows recovered from an earlier run). */
  copiedRows: number;
  /** Inserts made by the copier. */
  inserts: number;
  /** Copies that failed (each retried). */
  copyFailures: number;
  /** Rows recovered from files an earlier process left. */
  recoveredRows: number;
  /** Unreadable lines found in those files (a torn last line is one the writer never acknowledged). */
  unreadableLines: number;
  /** Bytes of rows not yet stored in ClickHouse. */
  backlogBytes: number;
  /** The last copy error, while copies fail. */
  lastError: string | undefined;
}

/** One journal file: the rows of one table, JSONEachRow, exactly the bytes the insert sends. */
interface JournalFile {
  name: string;
  table: string;
  chunks: Buffer[];
  bytes: number;
  rows: number;
  /** Sequence number of the first append to this file (0 for recovered files, copied before any append). */
  firstSeq: number;
}

/** `<epoch ms>-<counter>-<run id>.<table>.ndjson` */
const FILE_RE = /^\d{13}-\d{6}-[0-9a-f]{8}\.([A-Za-z_][A-Za-z0-9_]*)\.ndjson$/;

export class InsertJournal {
  readonly metrics: InsertJournalMetrics = { appended: 0, copiedRows: 0, inserts: 0, copyFailures: 0, recoveredRows: 0, unreadableLines: 0, backlogBytes: 0, lastError: undefined };
  private readonly dir: string;
  private readonly target: JournalTarget;
  private readonly logger: InsertJournalLogger;
  private readonly copyDelayMs: number;
  private readonly maxBacklogBytes: number;
  private readonly retryDelayMs: number;
  private readonly runId = randomBytes(4).toString('hex');
  private fileCounter = 0;
  /** The files appends go to, one per table (opened by the first append after a seal). */
  private readonly current = new Map<string, JournalFile & { fd: number }>();
  /** Files closed to appends, oldest first, waiting to be copied. */
  private readonly sealed: JournalFile[] = [];
  private appendedSeq = 0;
  private waiters: { seq: number; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private copying: Promise<void> | undefined;
  private failures = 0;
  private closed = false;

  private constructor(opts: InsertJournalOptions) {
    this.dir = opts.dir;
    this.target = opts.target;
    this.logger = opts.logger;
    this.copyDelayMs = opts.copyDelayMs ?? 1_000;
    this.maxBacklogBytes = opts.maxBacklogBytes ?? 256 * 1024 * 1024;
    this.retryDelayMs = opts.retryDelayMs ?? 1_000;
  }

  /**
   * Opens the journal in `dir` and copies what an earlier process left there before
   * anything new is appended (awaited: its rows are in ClickHouse when this resolves, or it
   * throws the copy's error and leaves the files for the next start).
   */
  static async open(opts: InsertJournalOptions): Promise<InsertJournal> {
    const journal = new InsertJournal(opts);
    mkdirSync(journal.dir, { recursive: true });
    journal.recover();
    if (journal.sealed.length > 0) {
      journal.logger.info({ dir: journal.dir, files: journal.sealed.length, rows: journal.metrics.recoveredRows }, 'copying journal rows a previous process left');
      await journal.copyAll();
      if (journal.sealed.length > 0) {
        throw new SluiceError('INSERT_JOURNAL_RECOVERY_FAILED', `the journal in ${journal.dir} holds rows an earlier process acknowledged and they could not be stored: ${journal.metrics.lastError}. They stay there for the next start.`, { retriable: true });
      }
    }
    return journal;
  }

  /**
   * Appends rows for `table`; when this returns they are in the journal file (durable as
   * a ClickHouse insert is here: see the class comment). Throws when the journal is closed,
   * full, or the file cannot be written — nothing is then acknowledged.
   */
  append(table: string, rows: readonly Record<string, unknown>[]): void {
    if (this.closed) throw new SluiceError('INSERT_JOURNAL_CLOSED', 'the insert journal is closed', { retriable: true });
    if (rows.length === 0) return;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new SluiceError('INSERT_JOURNAL_BAD_TABLE', `not a table name: ${JSON.stringify(table)}`);
    if (this.metrics.backlogBytes > this.maxBacklogBytes) {
      throw new SluiceError(
        'INSERT_JOURNAL_FULL',
        `${this.metrics.backlogBytes} bytes of journaled rows wait for ClickHouse (limit ${this.maxBacklogBytes}; last copy error: ${this.metrics.lastError ?? 'none'}): refusing new ones until ClickHouse takes them`,
        { retriable: true },
      );
    }
    let text = '';
    for (const row of rows) text += `${JSON.stringify(row)}\n`;
    const buffer = Buffer.from(text);
    let file = this.current.get(table);
    if (file === undefined) {
      const name = `${String(Date.now()).padStart(13, '0')}-${String(this.fileCounter++ % 1_000_000).padStart(6, '0')}-${this.runId}.${table}.ndjson`;
      file = { name, table, fd: openSync(path.join(this.dir, name), 'a', 0o600), chunks: [], bytes: 0, rows: 0, firstSeq: this.appendedSeq + 1 };
      this.current.set(table, file);
    }
    let written = 0;
    while (written < buffer.length) written += writeSync(file.fd, buffer, written);
    file.chunks.push(buffer);
    file.bytes += buffer.length;
    file.rows += rows.length;
    this.appendedSeq++;
    this.metrics.appended++;
    this.metrics.backlogBytes += buffer.length;
    this.schedule(this.copyDelayMs);
  }

  /** Resolves when every row appended before this call is stored in ClickHouse; rejects with the error of a copy that failed. */
  settled(): Promise<void> {
    const seq = this.appendedSeq;
    if (this.oldestUncopiedSeq() > seq) return Promise.resolve();
    if (this.failures > 0) {
      return Promise.reject(new SluiceError('INSERT_JOURNAL_BEHIND', `recent rows are not yet stored in ClickHouse: ${this.metrics.lastError}`, { retriable: true }));
    }
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      this.schedule(0);
    });
  }

  /** Copies everything appended, then refuses appends. Files whose copy fails stay for the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.copying;
    this.failures = 0;
    await this.copyAll();
    if (this.sealed.length > 0) {
      this.logger.warn({ dir: this.dir, files: this.sealed.length, error: this.metrics.lastError }, 'journal rows not yet in ClickHouse stay on disk; the next start copies them');
    }
    for (const w of this.waiters.splice(0)) w.reject(new SluiceError('INSERT_JOURNAL_CLOSED', `the insert journal closed before these rows were stored: ${this.metrics.lastError ?? 'unknown'}`, { retriable: true }));
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.copying !== undefined) return;
    if (this.timer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.copying = this.copyAll().finally(() => {
        this.copying = undefined;
        if (this.closed) return;
        if (this.failures > 0) this.schedule(Math.min(30_000, this.retryDelayMs * 2 ** (this.failures - 1)));
        else if (this.current.size > 0 || this.waiters.length > 0) this.schedule(this.copyDelayMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Seals the current files and copies every sealed file, oldest first, until one fails. */
  private async copyAll(): Promise<void> {
    this.seal();
    while (this.sealed.length > 0) {
      const file = this.sealed[0]!;
      try {
        // the file's bytes are already JSONEachRow: inserted as written, never encoded again
        await this.target.insert(file.table, file.chunks.length === 1 ? file.chunks[0]! : Buffer.concat(file.chunks), `journal:${file.name}`);
      } catch (err) {
        this.failures++;
        this.metrics.copyFailures++;
        this.metrics.lastError = errorMessage(err);
        this.logger.warn({ err, file: file.name, failures: this.failures }, 'journal copy to ClickHouse failed; retrying');
        for (const w of this.waiters.splice(0)) w.reject(err);
        return;
      }
      this.metrics.inserts++;
      this.metrics.copiedRows += file.rows;
      this.sealed.shift();
      try {
        unlinkSync(path.join(this.dir, file.name));
      } catch (err) {
        // left behind, it is copied again by the next start with the same token: dropped as a repeat
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.error({ err, file: file.name }, 'copied journal file could not be deleted');
      }
      this.failures = 0;
      this.metrics.lastError = undefined;
      this.metrics.backlogBytes -= file.bytes;
      // an append is stored once no file holding it or an earlier one is left: files of one
      // round are copied table by table, so a later file may land before an earlier one
      const oldest = this.oldestUncopiedSeq();
      const waiting = this.waiters;
      this.waiters = [];
      for (const w of waiting) {
        if (w.seq < oldest) w.resolve();
        else this.waiters.push(w);
      }
    }
  }

  /** The first sequence number not yet stored: the oldest first append of a file waiting or open. */
  private oldestUncopiedSeq(): number {
    let oldest = Infinity;
    for (const f of this.sealed) oldest = Math.min(oldest, f.firstSeq);
    for (const f of this.current.values()) oldest = Math.min(oldest, f.firstSeq);
    return oldest;
  }

  private seal(): void {
    for (const { fd, ...file } of this.current.values()) {
      closeSync(fd);
      this.sealed.push(file);
    }
    this.current.clear();
  }

  /** Loads the files an earlier process left, oldest first; keeps each readable line as it was written. */
  private recover(): void {
    for (const name of readdirSync(this.dir).filter((n) => FILE_RE.test(n)).sort()) {
      const file = path.join(this.dir, name);
      const table = FILE_RE.exec(name)![1]!;
      const parts = readFileSync(file, 'utf8').split('\n');
      const kept: string[] = [];
      let copied = false;
      parts.forEach((part, i) => {
        if (part === '') return;
        const torn = i === parts.length - 1; // no newline after it: the write never finished
        try {
          if (torn) throw new Error('line not terminated');
          const row: unknown = JSON.parse(part);
          if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new Error('not a row object');
          kept.push(part);
        } catch (err) {
          this.metrics.unreadableLines++;
          this.logger.error({ file: name, line: i + 1, torn, err: errorMessage(err) }, torn ? 'journal line torn by a crash (never acknowledged); skipped' : 'unreadable journal line skipped; the file is kept as .unreadable');
          if (!torn && !copied) {
            copyFileSync(file, `${file}.unreadable`);
            copied = true;
          }
        }
      });
      if (kept.length === 0) {
        unlinkSync(file);
        continue;
      }
      const bytes = Buffer.from(`${kept.join('\n')}\n`);
      this.metrics.recoveredRows += kept.length;
      this.metrics.backlogBytes += bytes.length;
      this.sealed.push({ name, table, chunks: [bytes], bytes: bytes.length, rows: kept.length, firstSeq: 0 });
    }
  }
}

/** The journal's target over a ClickHouse client: the bytes as JSONEachRow, with the token. */
export function clickHouseJournalTarget(client: ClickHouseClient): JournalTarget {
  return {
    async insert(table, jsonEachRow, deduplicationToken) {
      const result = await client.exec({
        query: `INSERT INTO ${table} FORMAT JSONEachRow`,
        values: Readable.from([jsonEachRow]),
        clickhouse_settings: { insert_deduplication_token: deduplicationToken },
      });
      result.stream.resume();
    },
  };
}

/** The journal directory of an embedded data directory. */
export function journalDirOf(dataDir: string): string {
  return path.join(dataDir, 'journal');
}

/**
 * Copies into ClickHouse what a stopped or killed `sluice start` acknowledged on `dataDir`
 * but had not yet copied; every process that opens the directory without serving the API
 * (`sluice clickhouse`, `sluice token`, `sluice audit`) does this first.
 */
export async function copyLeftJournal(dataDir: string, client: ClickHouseClient, logger: InsertJournalLogger): Promise<void> {
  if (!existsSync(journalDirOf(dataDir))) return;
  await (await InsertJournal.open({ dir: journalDirOf(dataDir), target: clickHouseJournalTarget(client), logger })).close();
}
