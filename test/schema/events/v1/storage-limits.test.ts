import { describe, expect, it } from 'vitest';
import { SIGNAL_SCHEMAS, type Signal } from '../../../../schema/events/v1/signal.ts';
import { SpanV1Schema } from '../../../../schema/events/v1/span.ts';
import { VALID_EVENTS } from '../../../ingest/decode/json-event-fixture.ts';

const parse = (signal: Signal, patch: Record<string, unknown>) => SIGNAL_SCHEMAS[signal].safeParse({ ...VALID_EVENTS[signal], ...patch });
const marker = (chars: number) => `…[truncated from ${chars} chars]`;

describe('storage limits: the event is accepted (it counts toward SLIs), the field is cut with a visible marker', () => {
  it.each([
    ['spans', 'operation', 1_024],
    ['spans', 'route', 1_024],
    ['logs', 'body', 65_536],
    ['checks', 'failedStep', 256],
    ['incidents', 'title', 1_024],
  ] as const)('%s.%s over %i characters', (signal, field, limit) => {
    const long = 'x'.repeat(limit * 3);
    const result = parse(signal, { [field]: long });
    expect(result.success).toBe(true);
    const event = result.data as Record<string, unknown>;
    const stored = event[field] as string;
    expect(stored).toHaveLength(limit);
    expect(stored.endsWith(marker(limit * 3))).toBe(true);
    expect(long.startsWith(stored.slice(0, limit - marker(limit * 3).length))).toBe(true);
    expect(event.truncated).toEqual([field]);
  });

  it.each([
    ['spans', 'operation', 1_024],
    ['logs', 'body', 65_536],
  ] as const)('%s.%s of exactly %i characters is stored as it is, nothing reported', (signal, field, limit) => {
    const result = parse(signal, { [field]: 'y'.repeat(limit) });
    expect(result.success && (result.data as Record<string, unknown>)[field]).toBe('y'.repeat(limit));
    expect(result.data).not.toHaveProperty('truncated');
  });

  it('lists every field it cut, in contract order', () => {
    const result = parse('spans', { route: 'r'.repeat(2_000), operation: 'o'.repeat(2_000), note: 'n'.repeat(5_000) });
    expect(result.data?.truncated).toEqual(['operation', 'route', 'attributes']);
  });

  it('never splits a surrogate pair when it cuts', () => {
    const result = SpanV1Schema.safeParse({ ...VALID_EVENTS.spans, operation: '😀'.repeat(1_000) });
    expect(result.data!.operation.isWellFormed()).toBe(true);
    expect(result.data!.operation.length).toBeLessThanOrEqual(1_024);
  });

  it.each([
    ['spans', 'service'],
    ['spans', 'environment'],
    ['logs', 'service'],
    ['checks', 'checkId'],
    ['deploys', 'version'],
    ['incidents', 'incidentId'],
  ] as const)('names stay strict: a 10 KB %s.%s is a schema violation', (signal, field) => {
    const result = parse(signal, { [field]: 's'.repeat(10_240) });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual([field]);
  });
});

describe('attribute storage caps (all contracts)', () => {
  it('cuts a value over 4,096 characters and reports attributes', () => {
    const result = parse('logs', { attributes: { stack: 's'.repeat(10_000), short: 'ok' } });
    expect(result.data!.attributes.stack).toHaveLength(4_096);
    expect(result.data!.attributes.stack!.endsWith(marker(10_000))).toBe(true);
    expect(result.data!.attributes.short).toBe('ok');
    expect(result.data!.truncated).toEqual(['attributes']);
  });

  it('cuts a key over 256 characters', () => {
    const key = 'k'.repeat(300);
    const result = parse('checks', { attributes: { [key]: 'v' } });
    const [stored] = Object.keys(result.data!.attributes);
    expect(stored).toHaveLength(256);
    expect(stored!.endsWith(marker(300))).toBe(true);
    expect(result.data!.attributes[stored!]).toBe('v');
  });

  it('keeps the first 127 of more than 128 attributes and says how many it dropped', () => {
    const attributes = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`a${i}`, String(i)]));
    const result = parse('deploys', { attributes });
    const stored = result.data!.attributes;
    expect(Object.keys(stored)).toHaveLength(128);
    expect(stored.a126).toBe('126');
    expect(stored).not.toHaveProperty('a127');
    expect(stored['sluice.dropped_attributes_count']).toBe('73');
    expect(result.data!.truncated).toEqual(['attributes']);
  });

  it('applies to unknown fields kept as attributes too', () => {
    const result = parse('incidents', { runbook: 'r'.repeat(5_000) });
    expect(result.data!.attributes.runbook).toHaveLength(4_096);
    expect(result.data!.truncated).toEqual(['attributes']);
  });
});

describe('SpanV1 httpStatusCode', () => {
  it.each([
    [0, undefined],
    [200, 200],
    [599, 599],
  ])('%i is stored as %s (0 is OTLP for unset)', (code, expected) => {
    const result = SpanV1Schema.safeParse({ ...VALID_EVENTS.spans, httpStatusCode: code, status: 'error' });
    expect(result.success).toBe(true);
    expect(result.data!.httpStatusCode).toBe(expected);
  });

  it.each([99, 600, -1, 200.5])('%d is a schema violation', (code) => {
    const result = parse('spans', { httpStatusCode: code });
    expect(result.error?.issues[0]?.path).toEqual(['httpStatusCode']);
  });
});
