import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SluiceError, errorMessage } from '../errors/sluice-error.ts';

/**
 * ClickHouse's own engine in this process: native chDB (npm `chdb`, libchdb = ClickHouse
 * 26.x as a library) on a data directory on disk, so data survives restarts.
 *
 * - **One directory, one process.** libchdb binds one data directory per process, and
 *   ClickHouse locks `<dir>/status` while it is open: a second process on the same
 *   directory is refused with an error naming the directory and the process holding it.
 * - **A fresh connection per job.** chDB keeps `SET` settings and query parameters per
 *   connection (checked: a `SET` on one connection is invisible to another, and stays on
 *   its connection), so each job gets its own connection, closed afterwards: one job's
 *   settings never leak into the next. Opening one on the bound directory costs ~0.15 ms.
 * - **Concurrent.** Connections on the same directory run in parallel, each call on a
 *   libuv worker thread: a slow read never holds an insert (the process should start with
 *   a larger `UV_THREADPOOL_SIZE` than libuv's 4, see bin/sluice.ts).
 * - **UTC everywhere.** Every connection runs with `session_timezone = UTC`, whatever the
 *   host's time zone (libchdb otherwise takes the process's `TZ`): sluice's times are UTC.
 * - **Bulk inserts from a file.** Insert data is written to a temporary file under the data
 *   directory and read with `INSERT … FROM INFILE`: measured faster than inline data
 *   (100k JSONEachRow rows: ~50 ms vs ~100–140 ms) and safe for binary formats.
 */

/** Structured logger (pino-compatible subset). */
export interface ChdbEngineLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ChdbEngineOptions {
  /** Data directory (created if missing); holds the tables, `status` lock and temp files. */
  dataDir: string;
  logger?: ChdbEngineLogger;
}

/** Rows/bytes of one finished statement, as chDB reports them. */
export interface ChdbStatementStats {
  /** Rows/bytes of the result (for an insert: rows/bytes read from the data). */
  resultRows: number;
  resultBytes: number;
  /** Engine-measured run time, seconds. */
  elapsedSeconds: number;
}

export interface ChdbStatementResult extends ChdbStatementStats {
  data: Uint8Array;
}

/** What a job may do: all calls go to the job's own connection. */
export interface ChdbSession {
  /** Runs one statement and returns its whole output; `format` applies when the statement has no FORMAT clause. */
  query(sql: string, format: string): Promise<ChdbStatementResult>;
  /** Runs one SELECT-like statement and yields its output chunk by chunk. */
  queryStream(sql: string, format: string): AsyncGenerator<ChdbStatementResult>;
  /**
   * Writes `data` to a temporary file and runs `sql(path)` (an `INSERT … FROM INFILE '<path>'`);
   * the file is removed afterwards.
   */
  queryWithFile(data: Uint8Array, sql: (filePath: string) => string, format: string): Promise<ChdbStatementResult>;
}

/** The part of npm `chdb` this engine uses. */
interface ChdbModule {
  Session: new (dir: string, opts?: { connectionArgs?: readonly string[] }) => ChdbNativeSession;
  drainPending?: () => Promise<void>;
}
interface ChdbNativeSession {
  queryAsync(sql: string, opts?: { format?: string }): Promise<{ elapsed: number; rowsRead: number; bytesRead: number; bytes(): Uint8Array }>;
  queryStream(sql: string, opts?: { format?: string }): AsyncIterable<{ numRows: number; numBytes: number; raw(): Uint8Array }> & { cancel(): void };
  close(): void;
}

/** Error text of a ClickHouse exception as chDB reports it: `Code: 62. DB::Exception: …`. */
const CLICKHOUSE_ERROR_RE = /Code: \d+\. /;

/** True for an error raised by ClickHouse itself (a bad statement, not a broken engine). */
export function isClickHouseEngineError(err: unknown): boolean {
  return err instanceof Error && CLICKHOUSE_ERROR_RE.test(err.message);
}

const silentLogger: ChdbEngineLogger = { info() {}, warn() {}, error() {} };
/**
 * Linux nice value of the engine's background merge threads (ClickHouse server setting
 * `os_threads_nice_value_merge_mutate`): merges of small ingest parts take a third of a
 * core or more under load, and share the cores with the JavaScript thread that answers
 * gates; at nice 10 they take what that thread leaves. (ClickHouse applies it only with
 * CAP_SYS_NICE — root has it; without it merges keep the default priority.)
 */
const MERGE_THREADS_NICE = 10;
/** Engine arguments of every connection (see the class comment). */
const CONNECTION_ARGS: readonly string[] = ['--session_timezone=UTC', `--os_threads_nice_value_merge_mutate=${MERGE_THREADS_NICE}`];
const PID_FILE = 'sluice.pid';

/**
 * The pid in `<dir>/sluice.pid` when that process is alive and is not this one. With
 * `sluiceOnly`, only when it is (on Linux, by its command line) a sluice process, so a pid
 * reused after a crash cannot lock anyone out.
 */
function livePidHolding(dataDir: string, opts: { sluiceOnly?: boolean } = {}): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dataDir, PID_FILE), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  if (opts.sluiceOnly && process.platform === 'linux') {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sluice')) return undefined;
    } catch {
      return undefined;
    }
  }
  return pid;
}

/**
 * Loads npm `chdb`. On a platform without a prebuilt libchdb the error says so and names
 * the way forward (a ClickHouse server through CLICKHOUSE_URL).
 */
async function loadChdb(): Promise<ChdbModule> {
  try {
    return (await import('chdb')) as unknown as ChdbModule;
  } catch (err) {
    throw new SluiceError(
      'CLICKHOUSE_EMBEDDED_UNSUPPORTED',
      `the embedded ClickHouse (npm chdb, native libchdb) cannot run on ${process.platform}-${process.arch}: ${errorMessage(err)}. ` +
        'chdb ships Linux x64/arm64 (glibc) and macOS x64/arm64 builds. Point CLICKHOUSE_URL (--clickhouse-url) at a ClickHouse server instead.',
      { cause: err },
    );
  }
}

export class ChdbEngine {
  readonly dataDir: string;
  private readonly chdb: ChdbModule;
  private readonly logger: ChdbEngineLogger;
  /** Held open for the engine's life: keeps the directory bound and its lock taken. */
  private anchor: ChdbNativeSession | undefined;
  private readonly tmpDir: string;
  private closed = false;
  private running = 0;
  private idle: (() => void)[] = [];
  private versionText = '';
  private timezoneText = 'UTC';

  private constructor(chdb: ChdbModule, dataDir: string, logger: ChdbEngineLogger) {
    this.chdb = chdb;
    this.dataDir = dataDir;
    this.logger = logger;
    this.tmpDir = path.join(dataDir, 'tmp-sluice-inserts');
  }

  /** Opens (or creates) the data directory. Fails clearly if another process holds it. */
  static async open(options: ChdbEngineOptions): Promise<ChdbEngine> {
    const dataDir = path.resolve(options.dataDir);
    const chdb = await loadChdb();
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      throw new SluiceError('CLICKHOUSE_DATA_DIR_UNUSABLE', `cannot create the data directory ${dataDir} (SLUICE_DATA_DIR / --data-dir): ${errorMessage(err)}`, { cause: err });
    }
    const engine = new ChdbEngine(chdb, dataDir, options.logger ?? silentLogger);
    const startedAtMs = Date.now();
    // a live sluice holding the directory: say so without making libchdb try (it prints its
    // own lock error on stderr before failing)
    if (livePidHolding(dataDir, { sluiceOnly: true }) !== undefined) throw engine.openError(new Error('the directory is locked by another process'));
    try {
      engine.anchor = new chdb.Session(dataDir, { connectionArgs: CONNECTION_ARGS });
    } catch (err) {
      throw engine.openError(err);
    }
    writeFileSync(path.join(dataDir, PID_FILE), `${process.pid}\n`);
    rmSync(engine.tmpDir, { recursive: true, force: true }); // leftovers of a killed process
    mkdirSync(engine.tmpDir, { recursive: true });
    const info = await engine.run(async (s) => new TextDecoder().decode((await s.query('SELECT version(), timezone()', 'TabSeparated')).data).trim().split('\t'));
    engine.versionText = info[0] ?? '';
    engine.timezoneText = info[1] ?? 'UTC';
    engine.logger.info({ dataDir, version: engine.versionText, startupMs: Date.now() - startedAtMs }, 'embedded ClickHouse engine opened');
    return engine;
  }

  /**
   * Why the directory could not be opened. chDB reports a held `status` lock only on
   * stderr ("Another server instance in same directory is already running"), so the
   * holder is found through the pid file an open engine writes.
   */
  private openError(err: unknown): SluiceError {
    const message = `${errorMessage(err)}${err instanceof Error && err.cause !== undefined ? ` (${errorMessage(err.cause)})` : ''}`;
    const holder = livePidHolding(this.dataDir);
    if (holder !== undefined) {
      return new SluiceError(
        'CLICKHOUSE_DATA_DIR_IN_USE',
        `the data directory ${this.dataDir} is already open in another process (pid ${holder}): only one sluice may use it at a time. ` +
          'Stop the other one, start with another SLUICE_DATA_DIR (--data-dir), or reach its data through the other process\'s ClickHouse endpoint.',
        { cause: err },
      );
    }
    return new SluiceError(
      'CLICKHOUSE_ENGINE_START_FAILED',
      `cannot open the embedded ClickHouse on ${this.dataDir}: ${message}. If another program uses this directory, stop it or choose another SLUICE_DATA_DIR (--data-dir).`,
      { cause: err },
    );
  }

  /** ClickHouse version of the engine, e.g. `26.7.2.1`. */
  get version(): string {
    return this.versionText;
  }

  /** Server time zone of the engine, e.g. `UTC`. */
  get timezone(): string {
    return this.timezoneText;
  }

  /** Runs `job` on a connection of its own, closed afterwards; jobs run concurrently. */
  async run<T>(job: (session: ChdbSession) => Promise<T>): Promise<T> {
    if (this.closed) throw new SluiceError('CLICKHOUSE_ENGINE_CLOSED', 'embedded ClickHouse engine is closed', { retriable: true });
    const native = new this.chdb.Session(this.dataDir, { connectionArgs: CONNECTION_ARGS });
    this.running++;
    try {
      return await job(this.session(native));
    } finally {
      native.close();
      if (--this.running === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  private session(native: ChdbNativeSession): ChdbSession {
    const tmpDir = this.tmpDir;
    const query = async (sql: string, format: string): Promise<ChdbStatementResult> => {
      const r = await native.queryAsync(sql, { format });
      return { data: r.bytes(), resultRows: r.rowsRead, resultBytes: r.bytesRead, elapsedSeconds: r.elapsed };
    };
    return {
      query,
      async *queryStream(sql, format) {
        const stream = native.queryStream(sql, { format });
        let finished = false;
        try {
          for await (const chunk of stream) {
            yield { data: chunk.raw(), resultRows: chunk.numRows, resultBytes: chunk.numBytes, elapsedSeconds: 0 };
          }
          finished = true;
        } finally {
          if (!finished) stream.cancel(); // consumer stopped early (client gone) or an error
        }
      },
      async queryWithFile(data, sql, format) {
        const file = path.join(tmpDir, `${randomUUID()}.data`);
        await writeFile(file, data);
        try {
          return await query(sql(file), format);
        } finally {
          await unlink(file).catch(() => undefined);
        }
      },
    };
  }

  /** Waits for running jobs, then releases the directory. Later jobs fail with CLICKHOUSE_ENGINE_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.running > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.anchor?.close();
    this.anchor = undefined;
    await this.chdb.drainPending?.();
    rmSync(path.join(this.dataDir, PID_FILE), { force: true });
    this.logger.info({ dataDir: this.dataDir }, 'embedded ClickHouse engine closed');
  }
}
