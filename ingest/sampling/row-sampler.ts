import { createHash } from 'node:crypto';
import { ConfigError, type SluiceConfig } from '../../platform/config/sluice-config.ts';
import { formatIssues } from '../../schema/events/v1/attributes.ts';
import { SEVERITY_ERROR } from '../../schema/events/v1/log-record.ts';
import type { RowSampler } from '../pipeline/ingest-pipeline.ts';
import { buildTraceIdSampler, TraceIdSamplerConfigSchema } from './trace-id-sampler.ts';

/**
 * The raw-row sampler of the ingest pipeline, from configuration. Spans and logs are
 * sampled by trace id (a whole trace is kept or dropped together; logs without a trace
 * id are keyed by a hash of their content), errors at their own higher rate; synthetic
 * checks, deploys and incidents are always stored. Sampled-out rows are counted by the
 * pipeline as `sampled_out` and still count toward SLIs (counted before sampling).
 */
export function buildRowSampler(config: Pick<SluiceConfig, 'sampleRate' | 'sampleErrorRate' | 'sampleRates'>): RowSampler {
  const parsed = TraceIdSamplerConfigSchema.safeParse({
    defaultRate: config.sampleRate,
    errorRate: config.sampleErrorRate,
    services: config.sampleRates,
  });
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n  SLUICE_SAMPLE_RATE / SLUICE_SAMPLE_ERROR_RATE / SLUICE_SAMPLE_RATES: ${formatIssues(parsed.error)}`);
  }
  const sampler = buildTraceIdSampler(parsed.data);
  const keep = { keep: true, weight: 1 } as const;
  return (item) => {
    let decision;
    if (item.signal === 'spans') {
      const e = item.event;
      decision = sampler.decide({ traceId: e.traceId, service: e.service, isError: e.status === 'error' || (e.httpStatusCode ?? 0) >= 500 });
    } else if (item.signal === 'logs') {
      const e = item.event;
      const traceId = e.traceId ?? createHash('sha256').update(`${e.service}\u001f${e.timestampMs}\u001f${e.body}`).digest('hex').slice(0, 32);
      decision = sampler.decide({ traceId, service: e.service, isError: e.severityNumber >= SEVERITY_ERROR });
    } else {
      return keep;
    }
    return decision.sampled ? { keep: true, weight: decision.weight } : { keep: false, weight: 0, reason: decision.reason ?? 'sampled_out' };
  };
}
