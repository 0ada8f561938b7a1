import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_TOPICS, SIGNALS, type Signal } from '../../schema/events/v1/signal.ts';
import { SluiceError } from '../errors/sluice-error.ts';

/**
 * sluice's configuration: parsed once at start-up from environment variables and
 * command-line flags with a strict schema. A bad value stops start-up with a message
 * naming the option (env var and flag); nothing is silently clamped.
 *
 * Every option is listed in OPTIONS below (name, env var, flag, doc) — README's config
 * table and `sluice --help` are generated from it, so they cannot drift from the code.
 */

const Port = z.coerce.number().int().min(0).max(65_535);
const PositiveInt = z.coerce.number().int().positive();
const Bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])]).transform((v) =>
  typeof v === 'boolean' ? v : v === 'true' || v === '1' || v === 'yes',
);
const Encoding = z.enum(['json', 'otlp_proto', 'otlp_json']);
/** A comma-separated list, entries trimmed, empty ones dropped. */
const CommaList = z.string().transform((s) => s.split(',').map((v) => v.trim()).filter((v) => v.length > 0));

export const ConfigSchema = z.strictObject({
  /** Address the HTTP server (GraphQL, ingest endpoints) binds to. */
  host: z.string().min(1).default('127.0.0.1'),
  /** Port of the HTTP server: GraphQL at /graphql, NDJSON ingest at /ingest/<signal>, OTLP at /v1/*. */
  httpPort: Port.default(4000),
  /** ClickHouse HTTP URL. Unset in embedded mode: an in-process endpoint is started. */
  clickhouseUrl: z.url().optional(),
  /**
   * Data directory of the embedded ClickHouse (embedded mode only): tables, rollups,
   * transitions, dead letters survive restarts there. Default: $XDG_DATA_HOME/sluice or
   * ~/.local/share/sluice (see defaultDataDir).
   */
  dataDir: z.string().min(1).optional(),
  /** Port of the embedded ClickHouse endpoint (embedded mode only; 0 = any free port). */
  embeddedClickhousePort: Port.default(8124),
  clickhouseDatabase: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier').default('sluice'),
  clickhouseUser: z.string().default('default'),
  clickhousePassword: z.string().default(''),
  /** File holding the ClickHouse password (first line); wins over an empty clickhousePassword. */
  clickhousePasswordFile: z.string().min(1).optional(),
  /** Comma-separated Kafka bootstrap brokers (host:port). Required by `sluice ingest`. */
  kafkaBrokers: z
    .string()
    .transform((s) => s.split(',').map((b) => b.trim()).filter((b) => b.length > 0))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port')).min(1, 'must name at least one broker'))
    .optional(),
  kafkaClientId: z.string().min(1).default('sluice'),
  /** Kafka consumer session timeout, ms: how long a silent (e.g. killed) member keeps its partitions before a rebalance (broker bounds apply). */
  kafkaSessionTimeoutMs: z.coerce.number().int().min(1_000).max(1_800_000).default(30_000),
  /** Consumer group of the ingest workers. */
  kafkaGroupId: z.string().min(1).default('sluice-ingest'),
  /** Consumer group of the SLO judges on the SLI-delta topic; default `<kafkaGroupId>-judges`. */
  kafkaJudgeGroupId: z.string().min(1).optional(),
  topicSpans: z.string().min(1).default(DEFAULT_TOPICS.spans),
  topicLogs: z.string().min(1).default(DEFAULT_TOPICS.logs),
  topicChecks: z.string().min(1).default(DEFAULT_TOPICS.checks),
  topicDeploys: z.string().min(1).default(DEFAULT_TOPICS.deploys),
  topicIncidents: z.string().min(1).default(DEFAULT_TOPICS.incidents),
  /** Encoding of the spans topic: sluice JSON contract or OTLP as the Collector's Kafka exporter writes it. */
  topicSpansEncoding: Encoding.default('json'),
  /** Encoding of the logs topic. */
  topicLogsEncoding: Encoding.default('json'),
  topicDeadLetter: z.string().min(1).default('sluice.deadletter.v1'),
  /** Topic of the repartition from ingest workers to judges: per-SLO SLI deltas and sources' progress. */
  topicSliDeltas: z.string().min(1).default('sluice.sli-deltas.v1'),
  /** Partitions of the SLI-delta topic when sluice creates it: the most judges that can share the SLOs. */
  sliDeltaPartitions: PositiveInt.max(1000).default(12),
  /** Topic the breach stream (SLO status transitions) is published to. */
  topicBreaches: z.string().min(1).default('sluice.breaches.v1'),
  /** A batch is written when it holds this many rows… */
  batchMaxRows: PositiveInt.default(1000),
  /** …or when its oldest row has waited this long (ms), whichever comes first. */
  batchMaxDelayMs: PositiveInt.default(1000),
  /** Messages larger than this (bytes) are dead-lettered as `oversized`. */
  maxMessageBytes: PositiveInt.default(1_048_576),
  /** Built-in traffic simulator (embedded mode). */
  simulate: Bool.default(true),
  /** Directory of SLO definition files (YAML). */
  sloDir: z.string().min(1).default('examples/slos'),
  /** Directory of gate policy files (YAML, `kind: GatePolicy`; docs/gates.md). */
  policyDir: z.string().min(1).default('examples/policies'),
  /** Producers' clock skew allowed: events later than now + this (ms) are dead-lettered `event_time_in_future`. */
  maxClockSkewMs: z.coerce.number().int().nonnegative().default(600_000),
  /** Longest span / check duration accepted (ms); longer ones are dead-lettered `duration_out_of_range`. */
  maxDurationMs: PositiveInt.default(86_400_000),
  /**
   * How far behind its source's newest event an event may arrive and still count on time,
   * ms: a judge evaluates minute M once every source feeding the SLO is past M + this, so it
   * also delays every verdict by this much (docs/time-and-ownership.md). Later events are
   * counted as late corrections; a minute already judged is not judged again.
   */
  allowedLatenessMs: z.coerce.number().int().nonnegative().default(30_000),
  /** A caught-up source without input this long (ms) stops holding the SLO watermark back (Kafka Streams' max.task.idle.ms). */
  idleSourceMs: z.coerce.number().int().nonnegative().default(10_000),
  /** Share of traces whose raw rows are stored, ratio 0–1 (SLI counts are exact whatever it is). */
  sampleRate: z.coerce.number().min(0).max(1).default(1),
  /** Share kept of error rows (error spans, ERROR logs), ratio 0–1, ≥ sampleRate. */
  sampleErrorRate: z.coerce.number().min(0).max(1).default(1),
  /** Per-service raw-row rates: `service=rate[:errorRate],…`. */
  sampleRates: z
    .string()
    .transform((s, ctx) => {
      const out: Record<string, { rate: number; errorRate?: number }> = {};
      for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
        const m = /^([^=\s]+)=([0-9.]+)(?::([0-9.]+))?$/.exec(part);
        const rate = m ? Number(m[2]) : NaN;
        const errorRate = m?.[3] !== undefined ? Number(m[3]) : undefined;
        if (!m || !(rate >= 0 && rate <= 1) || (errorRate !== undefined && !(errorRate >= 0 && errorRate <= 1))) {
          ctx.addIssue({ code: 'custom', message: `"${part}" is not service=rate[:errorRate] with ratios 0–1` });
          return z.NEVER;
        }
        out[m[1]!] = errorRate === undefined ? { rate } : { rate, errorRate };
      }
      return out;
    })
    .default({}),
  /**
   * Whether API requests (GraphQL, HTTP ingest, OTLP/HTTP) need a bearer token: `required`;
   * `off` (only with a loopback host); `auto` = required, except `sluice start` on a loopback
   * host while no token exists (docs/api-security.md, "Auth modes").
   */
  auth: z.enum(['auto', 'required', 'off']).default('auto'),
  /** Deepest field nesting a GraphQL operation may have (root field = 1). */
  graphqlMaxDepth: PositiveInt.default(10),
  /** Most aliased fields in one GraphQL operation. */
  graphqlMaxAliases: z.coerce.number().int().nonnegative().default(30),
  /** Highest cost of one GraphQL operation (1 a field; ClickHouse-backed fields more: api/graphql/query-limits.ts). */
  graphqlMaxCost: PositiveInt.default(1000),
  /** Largest GraphQL request body, bytes (larger → 413). */
  graphqlMaxBodyBytes: PositiveInt.default(262_144),
  /**
   * Events one GraphQL subscription may have waiting to be sent; a subscriber that falls
   * further behind is disconnected (WebSocket close code 4008) so it stalls nobody
   * (api/subscriptions/subscriber-queue.ts). Bounds the memory a slow subscriber costs; must
   * exceed the largest burst of transitions (about two per SLO, after a pipeline stall).
   */
  subscriptionQueue: PositiveInt.max(1_000_000).default(10_000),
  /** A release's bake period after its deploy finishes, ms: a page-severity burn or a failed canary comparison in it asks for one rollback (docs/releases.md). */
  rollbackBakePeriodMs: PositiveInt.default(1_800_000),
  /** Environments whose releases bake and may be rolled back (comma-separated). */
  rollbackEnvironments: CommaList.pipe(z.array(z.string()).min(1, 'must name at least one environment')).default(['production']),
  /** Webhook receivers of rollback requests (comma-separated http(s) URLs), signed with rollbackWebhookSecret. */
  rollbackWebhookUrls: CommaList.pipe(z.array(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))).default([]),
  /** HMAC-SHA256 key of webhook signatures (Standard Webhooks: `whsec_<base64>`, or any text of at least 16 characters). */
  rollbackWebhookSecret: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Attempts per webhook before a rollback request is given up on. */
  rollbackWebhookMaxAttempts: PositiveInt.max(100).default(10),
  /** Record rollback requests (and what would have been sent) without sending anything. */
  rollbackDryRun: Bool.default(false),
  /** How often releases in their bake period are looked at, ms. */
  rollbackCheckIntervalMs: PositiveInt.default(10_000),
  /** Topic rollback requests are published to (cluster mode). */
  topicRollbacks: z.string().min(1).default('sluice.rollbacks.v1'),
  /** DORA: an SLO breach this long after a deploy, while it serves, fails the deploy, ms. */
  doraBreachWindowMs: PositiveInt.default(86_400_000),
  /** DORA: an incident that names no deploy is blamed on the change serving when it opened, if that change is at most this old, ms. */
  doraIncidentWindowMs: PositiveInt.default(604_800_000),
  /** Shared secret alert webhooks (Alertmanager, Datadog) may present as `Authorization: Bearer <secret>` instead of an ingest token. */
  alertWebhookSecret: z.string().min(16, 'must be at least 16 characters').optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type SluiceConfig = z.infer<typeof ConfigSchema>;
type Key = keyof SluiceConfig;

/** Where each option comes from: env var and flag. */
export const OPTIONS: { key: Key; env: string; flag: string; doc: string }[] = [
  { key: 'host', env: 'SLUICE_HOST', flag: '--host', doc: 'address the HTTP server binds to (default 127.0.0.1)' },
  { key: 'httpPort', env: 'SLUICE_HTTP_PORT', flag: '--port', doc: 'HTTP port: GraphQL /graphql, ingest /ingest/<signal>, OTLP /v1/traces|logs (default 4000)' },
  { key: 'clickhouseUrl', env: 'CLICKHOUSE_URL', flag: '--clickhouse-url', doc: 'ClickHouse HTTP URL; unset in embedded mode (an in-process endpoint starts)' },
  { key: 'dataDir', env: 'SLUICE_DATA_DIR', flag: '--data-dir', doc: 'data directory of the embedded ClickHouse; survives restarts (default $XDG_DATA_HOME/sluice or ~/.local/share/sluice)' },
  { key: 'embeddedClickhousePort', env: 'SLUICE_EMBEDDED_CLICKHOUSE_PORT', flag: '--embedded-clickhouse-port', doc: 'port of the embedded ClickHouse endpoint (default 8124, 0 = any)' },
  { key: 'clickhouseDatabase', env: 'CLICKHOUSE_DATABASE', flag: '--clickhouse-database', doc: 'database for sluice tables (default sluice)' },
  { key: 'clickhouseUser', env: 'CLICKHOUSE_USER', flag: '--clickhouse-user', doc: 'ClickHouse user (default default); in embedded mode the user of the loopback endpoint' },
  { key: 'clickhousePassword', env: 'CLICKHOUSE_PASSWORD', flag: '--clickhouse-password', doc: 'ClickHouse password (default empty); in embedded mode the loopback endpoint\'s password (default: generated and kept in <data dir>/clickhouse-endpoint-password, mode 0600)' },
  { key: 'clickhousePasswordFile', env: 'CLICKHOUSE_PASSWORD_FILE', flag: '--clickhouse-password-file', doc: 'file whose first line is the ClickHouse password (e.g. the one `sluice clickhouse` prints)' },
  { key: 'kafkaBrokers', env: 'KAFKA_BROKERS', flag: '--kafka-brokers', doc: 'comma-separated host:port list; required by `sluice ingest`' },
  { key: 'kafkaClientId', env: 'KAFKA_CLIENT_ID', flag: '--kafka-client-id', doc: 'Kafka client id (default sluice)' },
  { key: 'kafkaSessionTimeoutMs', env: 'KAFKA_SESSION_TIMEOUT_MS', flag: '--kafka-session-timeout-ms', doc: 'how long a silent worker keeps its partitions before they move, ms (default 30000; the broker allows 6000–1800000 by default)' },
  { key: 'kafkaGroupId', env: 'KAFKA_GROUP_ID', flag: '--kafka-group-id', doc: 'consumer group of ingest workers (default sluice-ingest)' },
  { key: 'kafkaJudgeGroupId', env: 'KAFKA_JUDGE_GROUP_ID', flag: '--kafka-judge-group-id', doc: 'consumer group of the SLO judges on the SLI-delta topic: one judge per SLO across it (default <KAFKA_GROUP_ID>-judges)' },
  { key: 'topicSpans', env: 'SLUICE_TOPIC_SPANS', flag: '--topic-spans', doc: `spans topic (default ${DEFAULT_TOPICS.spans})` },
  { key: 'topicLogs', env: 'SLUICE_TOPIC_LOGS', flag: '--topic-logs', doc: `logs topic (default ${DEFAULT_TOPICS.logs})` },
  { key: 'topicChecks', env: 'SLUICE_TOPIC_CHECKS', flag: '--topic-checks', doc: `synthetic checks topic (default ${DEFAULT_TOPICS.checks})` },
  { key: 'topicDeploys', env: 'SLUICE_TOPIC_DEPLOYS', flag: '--topic-deploys', doc: `deploys topic (default ${DEFAULT_TOPICS.deploys})` },
  { key: 'topicIncidents', env: 'SLUICE_TOPIC_INCIDENTS', flag: '--topic-incidents', doc: `incidents topic (default ${DEFAULT_TOPICS.incidents})` },
  { key: 'topicSpansEncoding', env: 'SLUICE_TOPIC_SPANS_ENCODING', flag: '--topic-spans-encoding', doc: 'json | otlp_proto | otlp_json (default json)' },
  { key: 'topicLogsEncoding', env: 'SLUICE_TOPIC_LOGS_ENCODING', flag: '--topic-logs-encoding', doc: 'json | otlp_proto | otlp_json (default json)' },
  { key: 'topicDeadLetter', env: 'SLUICE_TOPIC_DEADLETTER', flag: '--topic-deadletter', doc: 'dead-letter topic (default sluice.deadletter.v1)' },
  { key: 'topicSliDeltas', env: 'SLUICE_TOPIC_SLI_DELTAS', flag: '--topic-sli-deltas', doc: 'SLI-delta topic: per-SLO counts from ingest workers to the SLO judges (default sluice.sli-deltas.v1)' },
  { key: 'sliDeltaPartitions', env: 'SLUICE_SLI_DELTA_PARTITIONS', flag: '--sli-delta-partitions', doc: 'partitions of the SLI-delta topic when created: the most judges that share the SLOs (default 12)' },
  { key: 'topicBreaches', env: 'SLUICE_TOPIC_BREACHES', flag: '--topic-breaches', doc: 'breach stream topic: SLO status transitions (default sluice.breaches.v1)' },
  { key: 'batchMaxRows', env: 'SLUICE_BATCH_MAX_ROWS', flag: '--batch-max-rows', doc: 'write a batch at this many rows (default 1000)' },
  { key: 'batchMaxDelayMs', env: 'SLUICE_BATCH_MAX_DELAY_MS', flag: '--batch-max-delay-ms', doc: 'or when its oldest row waited this long, ms (default 1000)' },
  { key: 'maxMessageBytes', env: 'SLUICE_MAX_MESSAGE_BYTES', flag: '--max-message-bytes', doc: 'larger messages are dead-lettered as oversized (default 1048576)' },
  { key: 'simulate', env: 'SLUICE_SIMULATE', flag: '--simulate', doc: 'built-in traffic simulator in embedded mode (default true; --no-simulate)' },
  { key: 'sloDir', env: 'SLUICE_SLO_DIR', flag: '--slo-dir', doc: 'directory of SLO definition files, reloaded on change (default examples/slos; format: docs/slo-format.md)' },
  { key: 'policyDir', env: 'SLUICE_POLICY_DIR', flag: '--policy-dir', doc: 'directory of release gate policy files, reloaded on change; every version is recorded (default examples/policies; format: docs/gates.md)' },
  { key: 'maxClockSkewMs', env: 'SLUICE_MAX_CLOCK_SKEW_MS', flag: '--max-clock-skew-ms', doc: 'events dated later than now + this are dead-lettered event_time_in_future, ms (default 600000)' },
  { key: 'maxDurationMs', env: 'SLUICE_MAX_DURATION_MS', flag: '--max-duration-ms', doc: 'longer span/check durations are dead-lettered duration_out_of_range, ms (default 86400000)' },
  { key: 'allowedLatenessMs', env: 'SLUICE_ALLOWED_LATENESS_MS', flag: '--allowed-lateness-ms', doc: 'how late an event may arrive behind its source\'s newest and still be judged; a minute is judged this long after its sources pass it; later events are counted as late corrections, ms (default 30000)' },
  { key: 'idleSourceMs', env: 'SLUICE_IDLE_SOURCE_MS', flag: '--idle-source-ms', doc: 'a caught-up source without input this long stops holding an SLO\'s event-time watermark back, ms (default 10000)' },
  { key: 'sampleRate', env: 'SLUICE_SAMPLE_RATE', flag: '--sample-rate', doc: 'share of traces whose raw rows are stored, ratio 0–1 (default 1); SLIs stay exact' },
  { key: 'sampleErrorRate', env: 'SLUICE_SAMPLE_ERROR_RATE', flag: '--sample-error-rate', doc: 'share of error rows stored, ratio 0–1, >= sample rate (default 1)' },
  { key: 'sampleRates', env: 'SLUICE_SAMPLE_RATES', flag: '--sample-rates', doc: 'per-service rates: service=rate[:errorRate],… (default none)' },
  { key: 'auth', env: 'SLUICE_AUTH', flag: '--auth', doc: 'auto | required | off: bearer tokens for GraphQL and ingest; auto = required unless `sluice start` binds to loopback and no token exists; off only on loopback (default auto; docs/api-security.md)' },
  { key: 'graphqlMaxDepth', env: 'SLUICE_GRAPHQL_MAX_DEPTH', flag: '--graphql-max-depth', doc: 'deepest field nesting of a GraphQL operation (default 10)' },
  { key: 'graphqlMaxAliases', env: 'SLUICE_GRAPHQL_MAX_ALIASES', flag: '--graphql-max-aliases', doc: 'most aliased fields in a GraphQL operation (default 30)' },
  { key: 'graphqlMaxCost', env: 'SLUICE_GRAPHQL_MAX_COST', flag: '--graphql-max-cost', doc: 'highest cost of a GraphQL operation: 1 a field, ClickHouse-backed fields more (default 1000)' },
  { key: 'graphqlMaxBodyBytes', env: 'SLUICE_GRAPHQL_MAX_BODY_BYTES', flag: '--graphql-max-body-bytes', doc: 'largest GraphQL request body, bytes; larger → 413 (default 262144)' },
  { key: 'subscriptionQueue', env: 'SLUICE_SUBSCRIPTION_QUEUE', flag: '--subscription-queue', doc: 'events a GraphQL subscription may have waiting to be sent; a subscriber further behind is disconnected with WebSocket close code 4008; keep it above twice the number of SLOs, the largest burst (default 10000, at most 1000000)' },
  { key: 'rollbackBakePeriodMs', env: 'SLUICE_ROLLBACK_BAKE_PERIOD_MS', flag: '--rollback-bake-period-ms', doc: 'bake period of a release after its deploy finishes: a page-severity burn or a failed canary comparison in it asks for one rollback, ms (default 1800000; docs/releases.md)' },
  { key: 'rollbackEnvironments', env: 'SLUICE_ROLLBACK_ENVIRONMENTS', flag: '--rollback-environments', doc: 'comma-separated environments whose releases bake (default production)' },
  { key: 'rollbackWebhookUrls', env: 'SLUICE_ROLLBACK_WEBHOOK_URLS', flag: '--rollback-webhook-urls', doc: 'comma-separated http(s) URLs that receive rollback requests, signed (default none)' },
  { key: 'rollbackWebhookSecret', env: 'SLUICE_ROLLBACK_WEBHOOK_SECRET', flag: '--rollback-webhook-secret', doc: 'HMAC-SHA256 key of the webhook signatures (Standard Webhooks: whsec_<base64>, or ≥ 16 characters); required with webhook URLs; prefer the env var' },
  { key: 'rollbackWebhookMaxAttempts', env: 'SLUICE_ROLLBACK_WEBHOOK_MAX_ATTEMPTS', flag: '--rollback-webhook-max-attempts', doc: 'attempts per webhook (backoff 1 s doubling to 60 s, with jitter) before a request is given up (default 10)' },
  { key: 'rollbackDryRun', env: 'SLUICE_ROLLBACK_DRY_RUN', flag: '--rollback-dry-run', doc: 'record rollback requests and what would have been sent, send nothing (default false)' },
  { key: 'rollbackCheckIntervalMs', env: 'SLUICE_ROLLBACK_CHECK_INTERVAL_MS', flag: '--rollback-check-interval-ms', doc: 'how often releases in their bake period are looked at, ms (default 10000)' },
  { key: 'topicRollbacks', env: 'SLUICE_TOPIC_ROLLBACKS', flag: '--topic-rollbacks', doc: 'rollback request topic, cluster mode (default sluice.rollbacks.v1)' },
  { key: 'doraBreachWindowMs', env: 'SLUICE_DORA_BREACH_WINDOW_MS', flag: '--dora-breach-window-ms', doc: 'DORA: an SLO breach this long after a deploy, while it serves, fails the deploy, ms (default 86400000; docs/dora.md)' },
  { key: 'doraIncidentWindowMs', env: 'SLUICE_DORA_INCIDENT_WINDOW_MS', flag: '--dora-incident-window-ms', doc: 'DORA: an incident naming no deploy is blamed on the change serving when it opened if that change is at most this old, ms (default 604800000)' },
  { key: 'alertWebhookSecret', env: 'SLUICE_ALERT_WEBHOOK_SECRET', flag: '--alert-webhook-secret', doc: 'shared secret Alertmanager / Datadog may send as Authorization: Bearer <secret> to /alerts/<source> instead of an ingest token (≥ 16 characters; prefer the env var)' },
  { key: 'logLevel', env: 'LOG_LEVEL', flag: '--log-level', doc: 'fatal|error|warn|info|debug|trace|silent (default info)' },
];

/** Raised when configuration is invalid; the message names every option at fault. */
export class ConfigError extends SluiceError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `--flag value`, `--flag=value`, `--no-flag` from argv (after the command) and the
 * environment. Flags win over env vars. Unknown flags are errors.
 */
export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): SluiceConfig {
  const raw: Record<string, unknown> = {};
  for (const opt of OPTIONS) {
    const value = env[opt.env];
    if (value !== undefined && value !== '') raw[opt.key] = value;
  }
  const byFlag = new Map(OPTIONS.map((o) => [o.flag, o]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag.startsWith('--no-') && byFlag.has(`--${flag.slice(5)}`) && inline === undefined) {
      raw[byFlag.get(`--${flag.slice(5)}`)!.key] = false;
      continue;
    }
    const opt = byFlag.get(flag);
    if (!opt) throw new ConfigError(`unknown option ${flag} (see --help)`);
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      const isBool = opt.key === 'simulate' || opt.key === 'rollbackDryRun';
      if (isBool && (next === undefined || next.startsWith('--'))) value = 'true';
      else if (next === undefined) throw new ConfigError(`option ${flag} needs a value`);
      else value = argv[++i]!;
    }
    if (value === '') throw new ConfigError(`option ${flag} needs a value`);
    raw[opt.key] = value;
  }
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const opt = OPTIONS.find((o) => o.key === key);
      const given = raw[key];
      const name = opt ? `${opt.env} (${opt.flag})` : key;
      return `  ${name}: ${issue.message}${given !== undefined ? ` — got ${JSON.stringify(given)}` : ''}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  if (config.rollbackWebhookUrls.length > 0 && config.rollbackWebhookSecret === undefined) {
    throw new ConfigError('invalid configuration:\n  SLUICE_ROLLBACK_WEBHOOK_SECRET (--rollback-webhook-secret): required when SLUICE_ROLLBACK_WEBHOOK_URLS names webhooks (rollback requests are always signed)');
  }
  topicRoutes(config); // a shared topic that cannot work stops start-up here, naming the option
  if (config.clickhousePasswordFile !== undefined && config.clickhousePassword === '') {
    try {
      config.clickhousePassword = readFileSync(config.clickhousePasswordFile, 'utf8').split('\n')[0]!.trim();
    } catch (err) {
      throw new ConfigError(`invalid configuration:\n  CLICKHOUSE_PASSWORD_FILE (--clickhouse-password-file): cannot read ${config.clickhousePasswordFile}: ${(err as Error).message}`);
    }
  }
  return config;
}

/** One topic the ingest worker reads: its signal, encoding, and every signal it carries. */
export interface TopicRoute {
  topic: string;
  signal: Signal;
  encoding: z.infer<typeof Encoding>;
  /** `[signal]`, or spans and logs for one OTLP topic configured for both (the Collector's one-topic mode). */
  signals: Signal[];
}

/**
 * Topic → (signal, encoding) routing the ingest worker consumes. The spans and logs topics
 * may be one OTLP topic (the Collector's Kafka exporter with one `topic` for both
 * pipelines): it is read once, each message as the signal it holds. Any other shared
 * topic is refused (sluice's JSON contracts carry no signal of their own).
 */
export function topicRoutes(config: SluiceConfig): TopicRoute[] {
  const topics: Record<Signal, string> = {
    spans: config.topicSpans,
    logs: config.topicLogs,
    checks: config.topicChecks,
    deploys: config.topicDeploys,
    incidents: config.topicIncidents,
  };
  const encodings: Partial<Record<Signal, z.infer<typeof Encoding>>> = {
    spans: config.topicSpansEncoding,
    logs: config.topicLogsEncoding,
  };
  const routes: TopicRoute[] = [];
  for (const signal of SIGNALS) {
    const encoding = encodings[signal] ?? 'json';
    const shared = routes.find((r) => r.topic === topics[signal]);
    if (!shared) {
      routes.push({ topic: topics[signal], signal, encoding, signals: [signal] });
      continue;
    }
    const otlpPair = shared.signal === 'spans' && signal === 'logs' && encoding !== 'json' && encoding === shared.encoding;
    if (!otlpPair) {
      const flag = (s: Signal) => OPTIONS.find((o) => o.key === `topic${s[0]!.toUpperCase()}${s.slice(1)}`)!;
      throw new ConfigError(
        `invalid configuration:\n  ${flag(signal).env} (${flag(signal).flag}): topic "${topics[signal]}" is also ${flag(shared.signal).env}; ` +
          'only the spans and logs topics may be one topic, and only with the same OTLP encoding (the Collector\'s one-topic mode) — give each signal its own topic',
      );
    }
    shared.signals.push(signal);
  }
  return routes;
}

/** `sluice --help` option table, generated from OPTIONS. */
export function optionsHelp(): string {
  const width = Math.max(...OPTIONS.map((o) => `${o.flag}  ${o.env}`.length));
  return OPTIONS.map((o) => `  ${`${o.flag}  ${o.env}`.padEnd(width)}  ${o.doc}`).join('\n');
}
