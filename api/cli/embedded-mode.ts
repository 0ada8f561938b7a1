import type { Logger } from 'pino';
import { connectClickHouse, type ClickHouseClient } from '../../platform/clickhouse/clickhouse-connection.ts';
import { defaultDataDir, openEmbeddedStore } from '../../platform/clickhouse/embedded-store.ts';
import { migrate } from '../../platform/clickhouse/migrations.ts';
import { clickHouseJournalTarget, InsertJournal, journalDirOf } from '../../platform/clickhouse/insert-journal.ts';
import type { SluiceConfig } from '../../platform/config/sluice-config.ts';
import { otlpProtobufCodec } from '../../ingest/decode/otlp/otlp-proto-definitions.ts';
import { NdjsonDecodeThread } from '../../ingest/decode/ndjson-decode-thread.ts';
import { createNdjsonIngestHandler } from '../../ingest/http/ndjson-ingest-handler.ts';
import { createOtlpHttpHandler } from '../../ingest/http/otlp-http-handler.ts';
import { IngestMetrics } from '../../ingest/pipeline/ingest-metrics.ts';
import { DEFAULT_TIME_BOUNDS, IngestPipeline } from '../../ingest/pipeline/ingest-pipeline.ts';
import { EmbeddedFlusher } from '../../ingest/pipeline/embedded-flusher.ts';
import { ClickHouseProgressStore } from '../../ingest/pipeline/partition-progress.ts';
import { hostname } from 'node:os';
import { buildRowSampler } from '../../ingest/sampling/row-sampler.ts';
import { SliEngine } from '../../engine/adapters/sli-engine.ts';
import { SignalRollupParticipant } from '../../engine/adapters/signal-rollup-participant.ts';
import { SloDefinitionRecorder } from '../../engine/adapters/slo-definition-recorder.ts';
import { ClickHouseRowWriter } from '../../ingest/sink/clickhouse-row-writer.ts';
import { runSimulator } from '../../ingest/simulator/simulator-runner.ts';
import { TrafficSimulator } from '../../ingest/simulator/traffic-simulator.ts';
import type { ApiDeps } from '../graphql/graphql-server.ts';
import { queryLimitsOf } from '../graphql/query-limits.ts';
import { openApiAccess } from '../auth/api-access.ts';
import { createApiRoutes } from '../http/api-routes.ts';
import { startHttpServer, type RouteHandler } from '../http/http-server.ts';
import { indexPageRoute } from '../http/index-page.ts';
import { SLUICE_VERSION } from './package-version.ts';
import { ClickHouseAlertContext } from '../../engine/adapters/clickhouse-alert-context.ts';
import { createAlertWebhookHandler } from '../../ingest/http/alert-webhook-handler.ts';
import { guardAlertRoute } from './alert-webhook-routes.ts';
import { ALERT_MAX_BODY_BYTES } from './cluster-releases.ts';
import { startReleaseServices } from './release-services.ts';
import { PipelineDeployReportSink } from '../../engine/adapters/deploy-report-sink.ts';
import { IngestRateMeter } from '../graphql/ingest-rate-meter.ts';
import { statusDepsOf } from '../graphql/status-deps.ts';
import { CatalogRuleSource } from '../../engine/adapters/slo-rule-source.ts';
import { openGatePolicies, startGates } from '../graphql/gate-wiring.ts';

/**
 * `sluice start`: everything in one process, no external services. ClickHouse is the
 * embedded native engine on the data directory (or CLICKHOUSE_URL when set); events arrive over HTTP
 * (NDJSON, OTLP) and from the built-in simulator; GraphQL serves the results.
 */
export async function runEmbedded(config: SluiceConfig, logger: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  const startedAtMs = Date.now();
  /** Stop actions, pushed in start order. */
  const stops: (() => Promise<void> | void)[] = [];
  let embedded: { url: string; user: string; passwordFile: string | undefined } | undefined;
  let clickhouseUrl = config.clickhouseUrl;
  let dataDir: string | undefined;
  let clickhouse: ClickHouseClient;
  if (!clickhouseUrl) {
    logger.info('opening the embedded ClickHouse…');
    const store = await openEmbeddedStore({
      dataDir: config.dataDir ?? defaultDataDir(),
      host: '127.0.0.1',
      port: config.embeddedClickhousePort,
      user: config.clickhouseUser,
      password: config.clickhousePassword,
      logger: logger.child({ component: 'embedded-clickhouse' }),
    });
    stops.push(() => store.close());
    clickhouseUrl = store.url;
    dataDir = store.dataDir;
    embedded = { url: store.url, user: store.user, passwordFile: store.passwordFile };
    clickhouse = await connectClickHouse({ engine: store.engine, database: config.clickhouseDatabase });
  } else {
    clickhouse = await connectClickHouse({ url: clickhouseUrl, database: config.clickhouseDatabase, username: config.clickhouseUser, password: config.clickhousePassword });
  }
  stops.push(() => clickhouse.close());
  const { applied } = await migrate(clickhouse);
  logger.info({ applied }, 'ClickHouse schema up to date');
  /** A start-up step that, failing, stops what already runs and rethrows. */
  const orStopAll = <T>(step: Promise<T>): Promise<T> => step.catch(async (err: unknown) => {
    for (const stop of stops.reverse()) await stop();
    throw err;
  });
  // gate decisions and audit entries are acknowledged once in the data directory's journal,
  // and copied into ClickHouse in the background (platform/clickhouse/insert-journal.ts)
  const journal = dataDir === undefined
    ? undefined
    : await orStopAll(InsertJournal.open({ dir: journalDirOf(dataDir), target: clickHouseJournalTarget(clickhouse), logger: logger.child({ component: 'insert-journal' }) }));
  if (journal !== undefined) stops.push(() => journal.close());
  // tokens and audit log; the auth mode (SLUICE_AUTH): open only on loopback while no token
  // exists — an unsafe combination stops start-up here, before anything else runs
  const access = await orStopAll(openApiAccess({ setting: config.auth, host: config.host, port: config.httpPort, process: 'embedded', clickhouse, journal, logger }));
  // gate policies (SLUICE_POLICY_DIR): an invalid file stops start-up here, naming its path and field
  const policies = await orStopAll(openGatePolicies({ dir: config.policyDir, clickhouse, logger, audit: access.audit }));
  stops.push(() => policies.catalog.close());

  const engine = await SliEngine.start({ clickhouse, logger, sloDir: config.sloDir, allowedLatenessMs: config.allowedLatenessMs, idleSourceMs: config.idleSourceMs });
  stops.push(() => engine.stop());
  // SLO definition versions as they load: review reports' config changes, backtests by name (docs/history.md)
  const definitions = await SloDefinitionRecorder.start({ clickhouse, sloDir: config.sloDir, catalog: engine.catalog, logger: logger.child({ component: 'slo-definitions' }) });
  stops.push(() => definitions.stop());
  const metrics = new IngestMetrics();
  const kick = { flusher: undefined as EmbeddedFlusher | undefined };
  const pipeline = new IngestPipeline({
    sampler: buildRowSampler(config),
    // SLI deltas for the judge, and signal rollups any SLO's history is rebuilt from (docs/history.md)
    participants: [engine.participant, new SignalRollupParticipant()],
    // ingest inserts run below the thread that answers gates (see ClickHouseRowWriter)
    writer: new ClickHouseRowWriter(clickhouse, { threadNice: 10 }),
    progress: new ClickHouseProgressStore(clickhouse),
    writerId: `${hostname()}:${process.pid}:embedded`,
    metrics,
    logger: logger.child({ component: 'ingest-pipeline' }),
    now: Date.now,
    batchMaxRows: config.batchMaxRows,
    batchMaxDelayMs: config.batchMaxDelayMs,
    timeBounds: { maxAgeMs: DEFAULT_TIME_BOUNDS.maxAgeMs, maxFutureMs: config.maxClockSkewMs, maxDurationMs: config.maxDurationMs },
    onWaiting: () => kick.flusher?.kick(),
  });
  const flusher = new EmbeddedFlusher(pipeline, logger);
  kick.flusher = flusher;
  flusher.start();
  stops.push(() => flusher.stop());

  if (config.simulate) {
    const sim = runSimulator(new TrafficSimulator({ seed: startedAtMs }), pipeline, 250, () => metrics.countRejectedRequest('simulator_tick_refused'));
    stops.push(() => sim.stop());
  }
  const heartbeat = setInterval(() => void engine.participant.heartbeat().catch(() => undefined), 1_000);
  stops.push(() => clearInterval(heartbeat));
  // events/s over the last minute (health.ingest.rates)
  const rates = new IngestRateMeter(metrics);
  stops.push(rates.start());

  // releases: the rollback watcher (webhooks, subscription), DORA and canary reads (docs/releases.md)
  const releases = startReleaseServices({ config, clickhouse, logger, slos: engine.judge });
  stops.push(() => releases.stop());
  void releases.resume();
  // release gates over the in-process judge (fast) and the SLO catalog; decisions stored in gate_decisions (docs/gates.md)
  const gates = startGates({ policies, clickhouse, journal, logger, states: engine.judge, rules: new CatalogRuleSource(() => engine.catalog.slos()), canary: releases.deps.canary });
  stops.push(() => gates.stop());
  const apiDeps = {
    logger,
    access,
    gate: gates.resolver,
    gateRecords: gates.records,
    release: releases.deps,
    slo: { states: engine.judge, pubsub: engine.pubsub, clickhouse },
    // analytics, subscriptions, and CI's deploy reports through the pipeline (source api/deploys)
    status: statusDepsOf({ config, clickhouse, logger, rates, deploys: new PipelineDeployReportSink(pipeline) }),
    health: {
      version: SLUICE_VERSION, mode: 'embedded', clickhouse, clickhouseMode: config.clickhouseUrl ? 'external' : 'embedded',
      clickhouseUrl, database: config.clickhouseDatabase, kafkaBrokers: [], metrics, simulator: config.simulate, startedAtMs,
    },
  } satisfies ApiDeps;
  // GraphQL and ingest behind one admission: cross-site refusal, token, limits, roles (api/http/api-routes.ts)
  const api = await createApiRoutes({ deps: apiDeps, limits: queryLimitsOf(config), maxBodyBytes: config.graphqlMaxBodyBytes });
  stops.push(() => api.stop());
  // NDJSON bodies are decoded off the event loop that answers gates; closed after HTTP
  const decodeThread = new NdjsonDecodeThread({ onFailure: (err) => logger.warn({ err: err.message }, 'NDJSON decode thread failed; decoding on the event loop until it is back') });
  stops.push(() => decodeThread.close());
  const routes: RouteHandler[] = [
    ...api.routes,
    api.guardNdjson(createNdjsonIngestHandler({
      maxBodyBytes: 64 * 1024 * 1024,
      maxLineBytes: config.maxMessageBytes,
      decodeThread,
      // large bodies are taken in slices: a gate waits for one slice, not for a request
      submit: (signal, items) => pipeline.acceptInSlices(`http/${signal}`, signal, items),
      onRejectedRequest: (reason) => metrics.countRejectedRequest(`http:${reason}`),
    })),
    api.guardOtlp((() => {
      const otlp = createOtlpHttpHandler({
        maxBodyBytes: 64 * 1024 * 1024,
        protobuf: otlpProtobufCodec(),
        submit: async (items) => {
          // one request carries one signal; rejected items say which
          const signal = items[0]?.ok ? items[0].value.signal : (items[0]?.signal ?? 'spans');
          await pipeline.accept(`otlp-http/${signal}`, signal, items, { wait: true });
        },
        onRejectedRequest: (reason) => metrics.countRejectedRequest(`otlp-http:${reason}`),
      });
      return (req, res) => otlp(req, res);
    })() satisfies RouteHandler),
    // inbound alerts (Alertmanager, Datadog) become incidents through the pipeline, dead letters included
    guardAlertRoute(createAlertWebhookHandler({
      submit: (source, items) => pipeline.accept(`alerts/${source}`, 'incidents', items, { wait: true }),
      context: new ClickHouseAlertContext(clickhouse),
      maxBodyBytes: ALERT_MAX_BODY_BYTES,
      onRejectedRequest: (reason) => metrics.countRejectedRequest(`alerts:${reason}`),
    }), access, config.alertWebhookSecret),
    indexPageRoute(),
  ];
  const http = await startHttpServer({ host: config.host, port: config.httpPort, routes, logger });
  stops.push(() => http.close());
  stops.push(api.attachSubscriptions(http.server));

  printBanner({ httpUrl: http.url, clickhouseUrl, embedded, dataDir, simulate: config.simulate, database: config.clickhouseDatabase, auth: { mode: access.authenticator.mode, reason: access.modeReason } });
  return {
    url: http.url,
    async stop() {
      // stop in reverse order of start: HTTP first, embedded ClickHouse last
      for (const stop of stops.reverse()) await stop();
    },
  };
}

function printBanner(o: {
  httpUrl: string;
  clickhouseUrl: string;
  embedded: { url: string; user: string; passwordFile: string | undefined } | undefined;
  dataDir: string | undefined;
  simulate: boolean;
  database: string;
  auth: { mode: 'required' | 'off'; reason: string };
}): void {
  const auth = o.auth.mode === 'off'
    ? `OFF — ${o.auth.reason}: anyone on this machine may call the API; other hosts are refused (docs/api-security.md). Create a token (sluice token create) and restart to require tokens.`
    : `required — send Authorization: Bearer <token> (${o.auth.reason}; tokens: sluice token create|list|revoke)`;
  const clickhouse = o.embedded
    ? [
        `  Data         ${o.dataDir} (embedded ClickHouse, native chDB; survives restarts; --data-dir to change)`,
        `  ClickHouse   ${o.clickhouseUrl} (loopback endpoint; user ${o.embedded.user}, password ${o.embedded.passwordFile ? `in ${o.embedded.passwordFile}` : 'as configured'}; database ${o.database})`,
      ]
    : [`  ClickHouse   ${o.clickhouseUrl} (external; database ${o.database})`];
  const lines = [
    '',
    `sluice ${SLUICE_VERSION} — embedded mode (one process, no external services)`,
    '',
    `  GraphQL      ${o.httpUrl}/graphql   (subscriptions: ${o.httpUrl.replace('http', 'ws')}/graphql)`,
    `  Auth         ${auth}`,
    `  Console      ${o.httpUrl}/graphql in a browser (works offline)`,
    `               try: curl -s ${o.httpUrl}/graphql -H 'content-type: application/json'${o.auth.mode === 'off' ? '' : ' -H "authorization: Bearer $SLUICE_TOKEN"'} \\`,
    `                      -d '{"query":"{ health { rowsIngested { spans logs checks deploys incidents } } }"}'`,
    `  Ingest       POST NDJSON to ${o.httpUrl}/ingest/{spans|logs|checks|deploys|incidents}`,
    `  OTLP/HTTP    ${o.httpUrl}/v1/traces, ${o.httpUrl}/v1/logs (protobuf or JSON; point an OpenTelemetry SDK exporter here)`,
    ...clickhouse,
    `  Simulator    ${o.simulate ? 'ON — synthetic services, deploys and a bad release now and then (--no-simulate to take only real data)' : 'off (--no-simulate); only data you send is ingested'}`,
    '',
    '  Ctrl-C stops.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
