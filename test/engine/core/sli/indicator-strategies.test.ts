import { describe, expect, it } from 'vitest';
import type { SluiceEvent } from '../../../../schema/events/v1/signal.ts';
import {
  classifyEvent,
  INDICATOR_STRATEGIES,
  IndicatorSchema,
  signalOf,
  type Indicator,
} from '../../../../engine/core/sli/indicator-strategies.ts';
import { check, log, span, T0_MS } from '../fixtures/sli-events.ts';

const scope = { service: 'checkout', environment: 'production' };
const ind = (raw: unknown): Indicator => IndicatorSchema.parse(raw);

describe('indicator strategies', () => {
  const cases: { name: string; indicator: Indicator; event: SluiceEvent; expected: 'good' | 'bad' | 'out' }[] = [
    { name: 'a 200 server span is good for availability', indicator: ind({ kind: 'availability' }), event: { signal: 'spans', event: span() }, expected: 'good' },
    { name: 'a 503 server span is bad for availability', indicator: ind({ kind: 'availability' }), event: { signal: 'spans', event: span({ httpStatusCode: 503 }) }, expected: 'bad' },
    { name: 'a 404 is good for availability by default', indicator: ind({ kind: 'availability' }), event: { signal: 'spans', event: span({ httpStatusCode: 404 }) }, expected: 'good' },
    { name: 'a 404 is bad when minBadHttpStatus is 400', indicator: ind({ kind: 'availability', minBadHttpStatus: 400 }), event: { signal: 'spans', event: span({ httpStatusCode: 404 }) }, expected: 'bad' },
    { name: 'a span with error status and no HTTP code is bad', indicator: ind({ kind: 'availability' }), event: { signal: 'spans', event: span({ status: 'error', httpStatusCode: undefined }) }, expected: 'bad' },
    { name: 'a consumer span counts as a request', indicator: ind({ kind: 'availability' }), event: { signal: 'spans', event: span({ kind: 'consumer' }) }, expected: 'good' },
    { name: 'a client span is not a request of the service', indicator: ind({ kind: 'availability' }), event: { signal: 'spans', event: span({ kind: 'client' }) }, expected: 'out' },
    { name: 'a span of another service is out of scope', indicator: ind({ kind: 'availability' }), event: { signal: 'spans', event: span({ service: 'cart' }) }, expected: 'out' },
    { name: 'a span of another environment is out of scope', indicator: ind({ kind: 'availability' }), event: { signal: 'spans', event: span({ environment: 'staging' }) }, expected: 'out' },
    { name: 'a span on another route is out of scope when a route is set', indicator: ind({ kind: 'availability', route: '/cart' }), event: { signal: 'spans', event: span() }, expected: 'out' },
    { name: 'a span with another operation is out of scope when an operation is set', indicator: ind({ kind: 'latency', thresholdMs: 100, operation: 'POST /pay' }), event: { signal: 'spans', event: span() }, expected: 'out' },
    { name: 'a span at the latency threshold is good', indicator: ind({ kind: 'latency', thresholdMs: 42 }), event: { signal: 'spans', event: span({ durationMs: 42 }) }, expected: 'good' },
    { name: 'a span slower than the threshold is bad', indicator: ind({ kind: 'latency', thresholdMs: 42 }), event: { signal: 'spans', event: span({ durationMs: 42.5 }) }, expected: 'bad' },
    { name: 'a log is out of scope for a span indicator', indicator: ind({ kind: 'latency', thresholdMs: 42 }), event: { signal: 'logs', event: log() }, expected: 'out' },
    { name: 'an INFO log is good for errorLogRatio', indicator: ind({ kind: 'errorLogRatio' }), event: { signal: 'logs', event: log() }, expected: 'good' },
    { name: 'a WARN log is good for errorLogRatio', indicator: ind({ kind: 'errorLogRatio' }), event: { signal: 'logs', event: log({ severityNumber: 16 }) }, expected: 'good' },
    { name: 'an ERROR log is bad for errorLogRatio', indicator: ind({ kind: 'errorLogRatio' }), event: { signal: 'logs', event: log({ severityNumber: 17 }) }, expected: 'bad' },
    { name: 'a log matching an attribute equals is in scope', indicator: ind({ kind: 'errorLogRatio', match: { field: 'attributes.component', equals: 'payment' } }), event: { signal: 'logs', event: log({ severityNumber: 21, attributes: { component: 'payment' } }) }, expected: 'bad' },
    { name: 'a log without the matched attribute is out of scope', indicator: ind({ kind: 'errorLogRatio', match: { field: 'attributes.component', equals: 'payment' } }), event: { signal: 'logs', event: log() }, expected: 'out' },
    { name: 'a log whose body contains the text is in scope', indicator: ind({ kind: 'errorLogRatio', match: { field: 'body', contains: 'order' } }), event: { signal: 'logs', event: log() }, expected: 'good' },
    { name: 'a successful check run is good', indicator: ind({ kind: 'syntheticSuccess' }), event: { signal: 'checks', event: check() }, expected: 'good' },
    { name: 'a failed check run is bad', indicator: ind({ kind: 'syntheticSuccess', checkId: 'checkout-journey' }), event: { signal: 'checks', event: check({ success: false }) }, expected: 'bad' },
    { name: 'a run of another check is out of scope', indicator: ind({ kind: 'syntheticSuccess', checkId: 'login' }), event: { signal: 'checks', event: check() }, expected: 'out' },
    { name: 'a run on another journey is out of scope', indicator: ind({ kind: 'syntheticSuccess', journey: 'login' }), event: { signal: 'checks', event: check() }, expected: 'out' },
  ];

  it.each(cases)('$name', ({ indicator, event, expected }) => {
    const c = classifyEvent(indicator, scope, event);
    expect(c.inScope ? (c.good ? 'good' : 'bad') : 'out').toBe(expected);
  });

  it('gives a span the event time of its end', () => {
    const c = classifyEvent(ind({ kind: 'availability' }), scope, { signal: 'spans', event: span({ durationMs: 1500 }) });
    expect(c).toEqual({ inScope: true, good: true, eventTimeMs: T0_MS + 1500 });
  });

  it('passes the latency of a latency span on for the sketch', () => {
    const c = classifyEvent(ind({ kind: 'latency', thresholdMs: 100 }), scope, { signal: 'spans', event: span({ durationMs: 7 }) });
    expect(c).toMatchObject({ inScope: true, good: true, latencyMs: 7 });
  });

  it('keys the table by every kind the schema accepts, each naming its signal', () => {
    expect(Object.keys(INDICATOR_STRATEGIES).sort()).toEqual(['availability', 'errorLogRatio', 'latency', 'syntheticSuccess']);
    expect(signalOf(ind({ kind: 'errorLogRatio' }))).toBe('logs');
    expect(signalOf(ind({ kind: 'syntheticSuccess' }))).toBe('checks');
    for (const [kind, strategy] of Object.entries(INDICATOR_STRATEGIES)) expect(strategy.kind).toBe(kind);
  });

  const invalid: { name: string; raw: unknown; message: RegExp }[] = [
    { name: 'rejects an unknown key on an indicator', raw: { kind: 'availability', rout: '/x' }, message: /rout/ },
    { name: 'rejects a latency indicator without a threshold', raw: { kind: 'latency' }, message: /thresholdMs/ },
    { name: 'rejects a log match with both equals and contains', raw: { kind: 'errorLogRatio', match: { field: 'body', equals: 'a', contains: 'b' } }, message: /exactly one/ },
    { name: 'rejects a log match on an unknown field', raw: { kind: 'errorLogRatio', match: { field: 'severity', equals: 'a' } }, message: /attributes/ },
    { name: 'rejects an unknown kind', raw: { kind: 'throughput' }, message: /kind|discriminator|Invalid/i },
  ];
  it.each(invalid)('$name', ({ raw, message }) => {
    const result = IndicatorSchema.safeParse(raw);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(message);
  });
});
