import { ConfigError, optionsHelp, parseConfig } from '../../platform/config/sluice-config.ts';
import { createLogger } from '../../platform/logging/logger.ts';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import type { Logger } from 'pino';
import type { SluiceConfig } from '../../platform/config/sluice-config.ts';
import { SLUICE_VERSION } from './package-version.ts';
import { PROCESS_IO, type CliIo } from './cli-io.ts';

/** A running command: `stop` ends it in order; `exited` resolves with an exit code if it ends by itself (e.g. a fatal consumer crash). */
export interface RunningCommand {
  stop(): Promise<void>;
  exited?: Promise<number>;
}
type Run = (config: SluiceConfig, logger: Logger) => Promise<RunningCommand>;

/** Each command's module is loaded only when that command runs (start-up time, and `clickhouse` stays small). */
const COMMANDS: Record<string, { doc: string; load: () => Promise<Run> }> = {
  start: { doc: 'embedded mode: embedded ClickHouse, HTTP + OTLP ingest, simulator, GraphQL — one process', load: async () => (await import('./embedded-mode.ts')).runEmbedded },
  ingest: { doc: 'cluster mode: Kafka consumer-group ingest worker (needs KAFKA_BROKERS, CLICKHOUSE_URL)', load: async () => (await import('./cluster-modes.ts')).runClusterIngest },
  api: { doc: 'cluster mode: GraphQL API over ClickHouse (needs CLICKHOUSE_URL)', load: async () => (await import('./cluster-modes.ts')).runClusterApi },
  clickhouse: { doc: 'only the embedded ClickHouse on --data-dir, served on loopback for other local processes', load: async () => (await import('./embedded-clickhouse-mode.ts')).runEmbeddedClickHouse },
};

/** One-shot commands: they parse their own arguments (`sluice <command> --help`) and return an exit code. */
type Task = (argv: string[], env: Readonly<Record<string, string | undefined>>, io: CliIo) => Promise<number>;
const TASKS: Record<string, { doc: string; load: () => Promise<Task> }> = {
  token: { doc: 'create | list | revoke API tokens (hashed in ClickHouse; the secret is printed once)', load: async () => (await import('./token-command.ts')).runTokenCommand },
  audit: { doc: 'verify: check the audit log hash chains and name the first broken link', load: async () => (await import('./audit-command.ts')).runAuditCommand },
  gate: { doc: 'ask the API for a release verdict: exit 0 PASS/WARN, 1 FAIL, 2 INCONCLUSIVE, 3 error', load: async () => (await import('./gate-command.ts')).runGateCommand },
  backtest: { doc: 'replay stored history with alert rules: alerts, budget, precision and recall against incidents (docs/history.md)', load: async () => (await import('./backtest-command.ts')).runBacktestCommand },
  tune: { doc: 'sweep burn-rate thresholds and windows on history: Pareto front and a recommended rule set', load: async () => (await import('./tune-command.ts')).runTuneCommand },
  targets: { doc: 'attainment per past window, a recommended target, and the budget exhaustion forecast', load: async () => (await import('./targets-command.ts')).runTargetsCommand },
  report: { doc: 'SLO review report of a team or SLOs over a month, Markdown or JSON', load: async () => (await import('./report-command.ts')).runReportCommand },
  benchmarks: { doc: 'DORA four keys, clusters and percentiles per team, as CSV, JSON or a table', load: async () => (await import('./benchmarks-command.ts')).runBenchmarksCommand },
};

export function helpText(): string {
  return [
    `sluice ${SLUICE_VERSION} — stream-processing SLI engine for release management`,
    '',
    'usage: sluice <command> [options]     (npm start = sluice start)',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.doc}`),
    ...Object.entries(TASKS).map(([name, c]) => `  ${name.padEnd(10)} ${c.doc} (sluice ${name} --help)`),
    '  help       this text',
    '',
    'options (flag, environment variable; flags win):',
    optionsHelp(),
    '',
  ].join('\n');
}

/** Entry point of `bin/sluice.ts`. Returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command = 'start', ...rest] = argv;
  const task = Object.hasOwn(TASKS, command) ? TASKS[command] : undefined;
  if (task) return (await task.load())(rest, process.env, PROCESS_IO);
  if (command === 'help' || command === '--help' || command === '-h' || rest.includes('--help')) {
    process.stdout.write(helpText());
    return 0;
  }
  if (command === '--version') {
    process.stdout.write(`${SLUICE_VERSION}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!entry) {
    process.stderr.write(`sluice: unknown command "${command}"\n\n${helpText()}`);
    return 2;
  }
  let config;
  try {
    config = parseConfig(rest, process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sluice: ${err.message}\n(run \`sluice help\` for every option)\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let app: RunningCommand;
  try {
    app = await (await entry.load())(config, logger);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sluice: ${err.message}\n`);
      return 2;
    }
    logger.fatal({ err }, `start-up failed: ${errorMessage(err)}`);
    return 1;
  }
  // sluice owns the termination signals: stop in order (final flush, engine, ClickHouse),
  // then exit 0; a command that ends by itself (fatal error) gives its own code
  const code = await new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve(0);
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    void app.exited?.then((c) => {
      logger.fatal({ exitCode: c }, 'stopping after a fatal error');
      resolve(c);
    });
  });
  try {
    await app.stop();
  } catch (err) {
    logger.error({ err: errorMessage(err) }, 'stop failed');
    return code === 0 ? 1 : code;
  }
  logger.info({ exitCode: code }, 'stopped');
  logger.flush();
  return code;
}
