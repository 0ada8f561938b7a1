import { describe, expect, it } from 'vitest';
import { resolveSpanEstimate } from '../../../api/graphql/span-estimate-resolver.ts';
import { JsonEventDecoder } from '../../../ingest/decode/json-event-decoder.ts';
import { IngestMetrics } from '../../../ingest/pipeline/ingest-metrics.ts';
import { IngestPipeline } from '../../../ingest/pipeline/ingest-pipeline.ts';
import { ClickHouseProgressStore } from '../../../ingest/pipeline/partition-progress.ts';
import { buildRowSampler } from '../../../ingest/sampling/row-sampler.ts';
import { ClickHouseRowWriter } from '../../../ingest/sink/clickhouse-row-writer.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { mulberry32 } from '../../../platform/random/mulberry32.ts';
import { BASE_TIME_MS, spanJson } from '../../support/span-fixtures.ts';
import { migratedDatabase } from '../../support/test-services.ts';

describe('spanEstimate over sampled raw spans', () => {
  it('estimates requests, errors and the error ratio with 95 % intervals that hold the true values', async () => {
    const { client } = await migratedDatabase('estimate');
    const metrics = new IngestMetrics();
    const pipeline = new IngestPipeline({
      writer: new ClickHouseRowWriter(client), progress: new ClickHouseProgressStore(client), writerId: 'test',
      metrics, logger: silentLogger(), now: Date.now, batchMaxRows: 50_000, batchMaxDelayMs: 1_000,
      sampler: buildRowSampler({ sampleRate: 0.2, sampleErrorRate: 0.5, sampleRates: {} }),
    });
    const rand = mulberry32(11);
    const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
    const decoder = new JsonEventDecoder('spans');
    const TOTAL = 20_000;
    let errors = 0;
    for (let i = 0; i < TOTAL; i++) {
      const error = rand() < 0.05;
      if (error) errors++;
      const span = { ...spanJson(i, { service: 'est', error, startTimeMs: BASE_TIME_MS + i }), traceId: hex(32) };
      await pipeline.accept('test/spans', 'spans', decoder.decode(Buffer.from(JSON.stringify(span))));
    }
    await pipeline.flush();
    expect(metrics.snapshot().accepted.spans).toBe(TOTAL);

    const result = await resolveSpanEstimate(client, { service: 'est', from: BASE_TIME_MS, to: BASE_TIME_MS + TOTAL });
    console.log(`[estimate] requests ${result.requests.estimate.toFixed(0)} [${result.requests.ciLow.toFixed(0)}, ${result.requests.ciHigh.toFixed(0)}] (true ${TOTAL}); error ratio ${result.errorRatio.estimate.toFixed(4)} [${result.errorRatio.ciLow.toFixed(4)}, ${result.errorRatio.ciHigh.toFixed(4)}] (true ${(errors / TOTAL).toFixed(4)}); ${result.sampledTraces} traces sampled`);
    expect(result.exact).toBe(false);
    expect(result.sampledTraces).toBeLessThan(TOTAL / 2);
    expect(result.requests.ciLow).toBeLessThanOrEqual(TOTAL);
    expect(result.requests.ciHigh).toBeGreaterThanOrEqual(TOTAL);
    expect(result.errors.ciLow).toBeLessThanOrEqual(errors);
    expect(result.errors.ciHigh).toBeGreaterThanOrEqual(errors);
    expect(result.errorRatio.ciLow).toBeLessThanOrEqual(errors / TOTAL);
    expect(result.errorRatio.ciHigh).toBeGreaterThanOrEqual(errors / TOTAL);
    await client.close();
  });
});
