import { ConfigError, optionsHelp, parseConfig } from '../../platform/config/sluice-config.ts';
import { createLogger } from '../../platform/logging/logger.ts';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import { runClusterApi, runClusterIngest } from './cluster-modes.ts';
import { runEmbedded } from './embedded-mode.ts';
import { SLUICE_VERSION } from './package-version.ts';

const COMMANDS = {
  start: { doc: 'embedded mode: embedded ClickHouse, HTTP + OTLP ingest, simulator, GraphQL — one process', run: runEmbedded },
  ingest: { doc: 'cluster mode: Kafka consumer-group ingest worker (needs KAFKA_BROKERS, CLICKHOUSE_URL)', run: runClusterIngest },
  api: { doc: 'cluster mode: GraphQL API over ClickHouse (needs CLICKHOUSE_URL)', run: runClusterApi },
} as const;

export function helpText(): string {
  return [
    `sluice ${SLUICE_VERSION} — stream-processing SLI engine for release management`,
    '',
    'usage: sluice <command> [options]     (npm start = sluice start)',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.doc}`),
    '  help     this text',
    '',
    'options (flag, environment variable; flags win):',
    optionsHelp(),
    '',
  ].join('\n');
}

/** Entry point of `bin/sluice.ts`. Returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command = 'start', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h' || rest.includes('--help')) {
    process.stdout.write(helpText());
    return 0;
  }
  if (command === '--version') {
    process.stdout.write(`${SLUICE_VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[command as keyof typeof COMMANDS];
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
  let app: { stop(): Promise<void> };
  try {
    app = await entry.run(config, logger);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sluice: ${err.message}\n`);
      return 2;
    }
    logger.fatal({ err }, `start-up failed: ${errorMessage(err)}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  await app.stop();
  return 0;
}
