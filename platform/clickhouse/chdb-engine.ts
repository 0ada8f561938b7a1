import { createRequire } from 'node:module';
import path from 'node:path';
import { AsyncChdb, type AsyncChdbConnection, type ChdbResult } from 'chdb-wasm';
import { SluiceError, errorMessage } from '../errors/sluice-error.ts';

/**
 * One chdb-wasm instance (ClickHouse 26.5 compiled to WebAssembly, running in a worker
 * thread) behind a serial queue.
 *
 * - **Serial.** The chdb C API is not reentrant and the wasm worker runs one call at a time;
 *   a *job* (`run()`) holds the queue for its whole sequence of calls (connect, `USE`,
 *   `SET`, query, close), so one HTTP request's statements never interleave with another's.
 * - **Fresh connection per job.** Settings and `SET param_x` are connection-scoped in chdb
 *   (checked: a second connection sees neither), so a job's settings and query parameters
 *   cannot leak into the next job. All connections share the same databases.
 * - **Anchor connection.** chdb drops its in-memory databases when its last connection
 *   closes (checked: a table created on a connection that is then closed is gone for the
 *   next one), so each instance keeps one idle connection open for its whole life.
 * - **Dead-instance detection.** A ClickHouse error (`Code: N. DB::Exception: …`) leaves the
 *   instance healthy. Anything else (wasm trap, worker exit, a result the bindings cannot
 *   read) triggers a probe (`SELECT 1` on a fresh connection, bounded by
 *   `probeTimeoutMs`); if the probe fails the worker is terminated and a new instance is
 *   created. The in-memory data of the old instance is gone: that is logged at error level
 *   and counted in `generation`.
 * - **Bulk data through the virtual file system.** Rows inlined in query text fail above
 *   ~2.5 MB ("Stack size too large"), so insert bodies go in with `putFile()` and are read
 *   by `INSERT … FROM INFILE` (see `ChdbSession.putFile`).
 */

/** Structured logger (pino-compatible subset). */
export interface ChdbEngineLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ChdbEngineOptions {
  /** Emscripten module of the THREADED bundle; default `chdb-wasm/dist/chdb.mjs` (the
   *  single-threaded `dist/st` bundle cannot create MergeTree tables). */
  moduleUrl?: string;
  logger?: ChdbEngineLogger;
  /** Upper bound for the health probe after a non-ClickHouse failure, in ms. Default 15 000. */
  probeTimeoutMs?: number;
  /**
   * Called (after the new instance is in place) when a crashed instance was replaced by an
   * empty one, with the new generation: the owner re-creates its schema.
   */
  onRecreated?: (generation: number) => void;
}

/** Rows/bytes of one finished statement, as chdb reports them. */
export interface ChdbStatementStats {
  /** Rows/bytes of the result (for `INSERT … FROM INFILE`: rows/bytes written). */
  resultRows: number;
  resultBytes: number;
  /** Rows/bytes scanned from storage. */
  readRows: number;
  readBytes: number;
  /** Engine-measured run time, in seconds. */
  elapsedSeconds: number;
}

export interface ChdbStatementResult extends ChdbStatementStats {
  data: Uint8Array;
}

/** What a job may do while it holds the queue: all calls go to one fresh connection. */
export interface ChdbSession {
  /** Run one statement and return its whole output. `format` is the output format used
   *  when the statement has no `FORMAT` clause of its own. */
  query(sql: string, format: string): Promise<ChdbStatementResult>;
  /** Run one SELECT-like statement (SELECT / WITH …) and yield its output chunk by chunk
   *  (one engine block batch each, ~5 MB for wide rows). chdb refuses to stream other
   *  statement kinds ("No active streaming query"). */
  queryStream(sql: string, format: string): AsyncGenerator<ChdbStatementResult>;
  /** Write bytes into the instance's in-memory file system, for `FROM INFILE '<path>'`.
   *  The bytes are transferred (the caller's buffer is detached afterwards). */
  putFile(filePath: string, data: Uint8Array): Promise<void>;
}

/** Error text of a ClickHouse exception as chdb reports it: `Code: 62. DB::Exception: …`. */
const CLICKHOUSE_ERROR_RE = /^Code: \d+\. /;

/** True for an error raised by ClickHouse itself (the instance is still healthy). */
export function isClickHouseEngineError(err: unknown): boolean {
  return err instanceof Error && CLICKHOUSE_ERROR_RE.test(err.message);
}

/** Internal shape of chdb-wasm's client: it does not watch its worker thread, so a crashed
 *  worker would leave calls pending forever. We listen for `error`/`exit` ourselves. */
interface WorkerLike {
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<number>;
}

interface Instance {
  db: AsyncChdb;
  /** Rejects when the worker thread dies; every engine call races against it. */
  died: Promise<never>;
  dead: boolean;
  worker: WorkerLike | undefined;
  /** Held open so the instance keeps its databases (see the class comment). */
  anchor: AsyncChdbConnection | undefined;
}

const DEFAULT_PROBE_TIMEOUT_MS = 15_000;

function defaultModuleUrl(): string {
  const require = createRequire(import.meta.url);
  // `chdb-wasm` exports `./dist/index.js`; the threaded Emscripten module sits beside it.
  return path.join(path.dirname(require.resolve('chdb-wasm')), 'chdb.mjs');
}

const silentLogger: ChdbEngineLogger = { info() {}, warn() {}, error() {} };

export class ChdbEngine {
  private readonly moduleUrl: string;
  private readonly logger: ChdbEngineLogger;
  private readonly probeTimeoutMs: number;
  private readonly onRecreated: ((generation: number) => void) | undefined;
  private instance: Instance | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private generationCount = 0;
  private versionText = '';
  private timezoneText = 'UTC';

  private constructor(options: ChdbEngineOptions) {
    this.moduleUrl = options.moduleUrl ?? defaultModuleUrl();
    this.logger = options.logger ?? silentLogger;
    this.probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.onRecreated = options.onRecreated;
  }

  /** Instantiate the wasm engine (~1.5–2 s) and read its version and time zone. */
  static async start(options: ChdbEngineOptions = {}): Promise<ChdbEngine> {
    const engine = new ChdbEngine(options);
    engine.instance = await engine.createInstance();
    const info = await engine.run(async (session) => {
      const r = await session.query('SELECT version(), timezone()', 'TabSeparated');
      return new TextDecoder().decode(r.data).trim().split('\t');
    });
    engine.versionText = info[0] ?? '';
    engine.timezoneText = info[1] ?? 'UTC';
    return engine;
  }

  /** ClickHouse version of the engine, e.g. `26.5.1.1`. */
  get version(): string {
    return this.versionText;
  }

  /** Server time zone of the engine, e.g. `UTC`. */
  get timezone(): string {
    return this.timezoneText;
  }

  /** Number of wasm instances created so far: 1 until an instance had to be recreated
   *  (each recreation loses all data). */
  get generation(): number {
    return this.generationCount;
  }

  /**
   * Run `job` alone on the engine with a fresh connection, closed afterwards. Jobs run one
   * after another in call order. A failure of the engine itself (not a ClickHouse error)
   * is followed by a health probe and, if needed, a new instance before the next job.
   */
  run<T>(job: (session: ChdbSession) => Promise<T>): Promise<T> {
    const result = this.queue.then(() => this.runNow(job));
    // keep the chain alive whatever the job's outcome
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Terminate the worker once the running job is done; queued and later jobs fail with
   *  CLICKHOUSE_ENGINE_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    const drained = this.queue;
    this.closed = true;
    await drained;
    const instance = this.instance;
    this.instance = undefined;
    if (instance) await terminate(instance);
  }

  private async runNow<T>(job: (session: ChdbSession) => Promise<T>): Promise<T> {
    if (this.closed) throw new SluiceError('CLICKHOUSE_ENGINE_CLOSED', 'embedded ClickHouse engine is closed');
    const instance = await this.healthyInstance();
    let conn: AsyncChdbConnection | undefined;
    try {
      conn = await guard(instance, instance.db.connect());
      return await job(this.session(instance, conn));
    } catch (err) {
      if (!isClickHouseEngineError(err)) await this.checkAfterFailure(instance, err);
      throw err;
    } finally {
      if (conn && !instance.dead) {
        try {
          await guard(instance, conn.close());
        } catch (err) {
          await this.checkAfterFailure(instance, err);
        }
      }
    }
  }

  private session(instance: Instance, conn: AsyncChdbConnection): ChdbSession {
    return {
      async query(sql, format) {
        const r = await guard(instance, conn.query(sql, format));
        return toStatementResult(r);
      },
      async *queryStream(sql, format) {
        const stream = conn.queryStream(sql, format);
        let finished = false;
        try {
          for (;;) {
            const next = await guard(instance, stream.next());
            if (next.done) {
              finished = true;
              return;
            }
            yield toStatementResult(next.value);
          }
        } finally {
          // consumer stopped early (client gone) or an error: cancel the engine-side stream
          if (!finished && !instance.dead) await guard(instance, stream.return(undefined)).catch(() => undefined);
        }
      },
      async putFile(filePath, data) {
        await guard(instance, instance.db.putFile(filePath, data));
      },
    };
  }

  private async healthyInstance(): Promise<Instance> {
    const current = this.instance;
    if (current && !current.dead) return current;
    if (current) await terminate(current);
    this.instance = await this.createInstance();
    const generation = this.generationCount;
    if (this.onRecreated) setImmediate(() => this.onRecreated?.(generation));
    return this.instance;
  }

  /** After a failure that is not a ClickHouse error: probe; replace the instance if it is unusable. */
  private async checkAfterFailure(instance: Instance, cause: unknown): Promise<void> {
    if (instance.dead) {
      this.logger.error({ err: errorMessage(cause) }, 'embedded ClickHouse worker died; a new instance will be created and ALL DATA IS LOST');
      return;
    }
    this.logger.warn({ err: errorMessage(cause) }, 'embedded ClickHouse call failed outside ClickHouse; probing the instance');
    try {
      await withTimeout(this.probe(instance), this.probeTimeoutMs, 'health probe timed out');
      this.logger.info({}, 'embedded ClickHouse instance is healthy after the failure');
    } catch (probeErr) {
      instance.dead = true;
      this.logger.error(
        { err: errorMessage(cause), probeErr: errorMessage(probeErr) },
        'embedded ClickHouse instance is unusable; a new instance will be created and ALL DATA IS LOST',
      );
    }
  }

  private async probe(instance: Instance): Promise<void> {
    const conn = await guard(instance, instance.db.connect());
    try {
      const r = await guard(instance, conn.query('SELECT 1', 'TabSeparated'));
      if (r.text() !== '1\n') throw new Error(`unexpected probe result ${JSON.stringify(r.text())}`);
    } finally {
      await guard(instance, conn.close());
    }
  }

  private async createInstance(): Promise<Instance> {
    const startedAtMs = Date.now();
    let db: AsyncChdb;
    try {
      db = await AsyncChdb.create({ moduleUrl: this.moduleUrl });
    } catch (err) {
      throw new SluiceError('CLICKHOUSE_ENGINE_START_FAILED', `cannot start chdb-wasm from ${this.moduleUrl}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    this.generationCount++;
    let markDead: (err: Error) => void = () => {};
    const died = new Promise<never>((_resolve, reject) => {
      markDead = reject;
    });
    died.catch(() => undefined); // observed through guard(); never an unhandled rejection
    const candidate = (db as unknown as { worker?: WorkerLike }).worker;
    const worker = candidate && typeof candidate.on === 'function' && typeof candidate.terminate === 'function' ? candidate : undefined;
    const instance: Instance = { db, died, dead: false, worker, anchor: undefined };
    if (worker) {
      worker.on('error', (err) => {
        instance.dead = true;
        markDead(new SluiceError('CLICKHOUSE_ENGINE_DIED', `chdb worker failed: ${err.message}`, { cause: err, retriable: true }));
      });
      worker.on('exit', (code) => {
        instance.dead = true;
        markDead(new SluiceError('CLICKHOUSE_ENGINE_DIED', `chdb worker exited with code ${code}`, { retriable: true }));
      });
    } else {
      this.logger.warn({}, 'chdb-wasm internals changed: cannot watch the worker thread for crashes');
    }
    try {
      instance.anchor = await guard(instance, db.connect());
    } catch (err) {
      await terminate(instance);
      throw new SluiceError('CLICKHOUSE_ENGINE_START_FAILED', `cannot open a chdb connection: ${errorMessage(err)}`, { cause: err });
    }
    const startupMs = Date.now() - startedAtMs;
    if (this.generationCount === 1) {
      this.logger.info({ startupMs }, 'embedded ClickHouse engine started');
    } else {
      this.logger.error(
        { startupMs, generation: this.generationCount },
        'embedded ClickHouse engine RECREATED: all tables and data of the previous instance are lost',
      );
    }
    return instance;
  }
}

function toStatementResult(r: ChdbResult): ChdbStatementResult {
  return {
    data: r.data,
    resultRows: r.rowsRead,
    resultBytes: r.bytesRead,
    readRows: r.scannedRows,
    readBytes: r.scannedBytes,
    elapsedSeconds: r.elapsedSeconds,
  };
}

/** Race an engine call against the death of its worker. */
function guard<T>(instance: Instance, call: Promise<T>): Promise<T> {
  return Promise.race([call, instance.died]);
}

async function terminate(instance: Instance): Promise<void> {
  instance.dead = true;
  if (instance.worker) {
    // chdb's own terminate() first posts `close` and waits for it, which never returns
    // from a hung worker: stop the thread directly.
    await instance.worker.terminate().catch(() => undefined);
    return;
  }
  await withTimeout(instance.db.terminate(), 5_000, 'terminate timed out').catch(() => undefined);
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
