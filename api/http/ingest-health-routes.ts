import type { ClickHouseClient } from '@clickhouse/client';
import type { KafkaIngestWorker } from '../../ingest/kafka/kafka-ingest-worker.ts';
import type { IngestMetrics } from '../../ingest/pipeline/ingest-metrics.ts';
import type { RouteHandler } from './http-server.ts';

/**
 * Plain health endpoints of `sluice ingest` for orchestrators (Kubernetes probes, a
 * supervisor, a load balancer):
 * - `GET /healthz` — liveness: 200 unless the consumer has died (then 503: restart me);
 * - `GET /readyz` — readiness: 200 when the consumer runs and ClickHouse answers; 503 while
 *   starting, rebalancing, dead or cut off from ClickHouse, with the reason;
 * - `GET /health` — the details as JSON (consumer state, owned partitions, counters).
 */
export function ingestHealthRoutes(deps: { worker: KafkaIngestWorker; metrics: IngestMetrics; clickhouse: ClickHouseClient }): RouteHandler[] {
  const json = (res: Parameters<RouteHandler>[1], status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  return [
    async (req, res, url) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const worker = deps.worker.health();
      if (url.pathname === '/healthz') {
        json(res, worker.state === 'dead' ? 503 : 200, { status: worker.state === 'dead' ? 'dead' : 'alive', consumer: worker.state, ...(worker.crash ? { crash: worker.crash } : {}) });
        return true;
      }
      if (url.pathname === '/readyz') {
        const ping = await deps.clickhouse.ping();
        const reasons = [
          ...(worker.state !== 'running' ? [`consumer is ${worker.state}`] : []),
          ...(ping.success ? [] : [`ClickHouse unreachable: ${ping.error.message}`]),
        ];
        json(res, reasons.length === 0 ? 200 : 503, { ready: reasons.length === 0, reasons });
        return true;
      }
      if (url.pathname === '/health') {
        json(res, 200, { consumer: worker, ingest: deps.metrics.snapshot() });
        return true;
      }
      return false;
    },
  ];
}
