import { createDecoder, type Encoding } from '../../../ingest/decode/decoder-registry.ts';
import { DEAD_LETTER_REASONS, type DecodedItem, type Decoder } from '../../../ingest/decode/decoder.ts';
import { mulberry32 } from '../../../platform/random/mulberry32.ts';
import { SIGNALS, type Signal } from '../../../schema/events/v1/signal.ts';
import { VALID_EVENTS } from './json-event-fixture.ts';
import { logsRequest, otlpLogRecord, otlpSpan, requestBytes, serviceResource, traceRequest, wireRequest } from './otlp-request-fixture.ts';
import { bytesField, concat, doubleField, fixed64Field, keyValue, nestedAnyValue, stringField, tag, varintField, type WireType } from './protobuf-wire-writer.ts';

/**
 * Seeded adversarial inputs for every decoder: shared by the unit test
 * (decoder-fuzz.test.ts, a fixed seed) and `scripts/fuzz-decoders.ts` (any seed, many cases).
 *
 * Case `i` of a run with seed `s` is generated from the seed `s + i` alone (target, kind
 * and bytes), so a failing case is replayed with `--seed <its seed> --cases 1`.
 */

/** Largest message the fuzzed decoders take (SLUICE_MAX_MESSAGE_BYTES), bytes: above every case, so decoders see them all. */
export const FUZZ_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface FuzzTarget {
  name: string;
  signal: Signal;
  encoding: Encoding;
  decoder: Decoder;
}

/** Every decoder sluice builds (decoder-registry.ts): JSON for the five signals, OTLP proto and JSON for spans and logs. */
export function fuzzTargets(): FuzzTarget[] {
  const pairs: [Signal, Encoding][] = [
    ...SIGNALS.map((signal) => [signal, 'json'] as [Signal, Encoding]),
    ['spans', 'otlp_json'], ['spans', 'otlp_proto'], ['logs', 'otlp_json'], ['logs', 'otlp_proto'],
  ];
  return pairs.map(([signal, encoding]) => ({ name: `${signal}/${encoding}`, signal, encoding, decoder: createDecoder(signal, encoding, FUZZ_MAX_MESSAGE_BYTES) }));
}

export interface FuzzCase {
  seed: number;
  target: FuzzTarget;
  kind: string;
  bytes: Uint8Array;
}

/** The seed of case `index` of a run seeded `runSeed`: a uint32. */
export function caseSeed(runSeed: number, index: number): number {
  return (runSeed + index) >>> 0;
}

/** The case of one seed: its decoder, its kind of input and its bytes. */
export function fuzzCase(seed: number, targets: readonly FuzzTarget[]): FuzzCase {
  const rng = new Rng(seed);
  const target = rng.pick(targets);
  const [kind, generate] = rng.pick(GENERATORS);
  return { seed, target, kind, bytes: generate(rng, target) };
}

/**
 * What is wrong with a decoder's answer to one case, or undefined: it must return items,
 * each a valid event of the decoder's signal or a dead letter with a reason from
 * DEAD_LETTER_REASONS, a non-empty detail and its raw bytes. `decoder_error` counts as a
 * failure: it means the decoder threw and only the guard kept the stream going.
 */
export function checkDecoded(target: FuzzTarget, items: unknown): string | undefined {
  if (!Array.isArray(items)) return `decode returned ${typeof items}, not an array`;
  for (const [i, item] of (items as DecodedItem[]).entries()) {
    if (item.ok) {
      if (item.value?.signal !== target.signal || typeof item.value.event !== 'object') return `item ${i}: accepted without a ${target.signal} event`;
      continue;
    }
    if (!(DEAD_LETTER_REASONS as readonly string[]).includes(item.reason)) return `item ${i}: unknown reason ${JSON.stringify(item.reason)}`;
    if (item.reason === 'decoder_error') return `item ${i}: decoder_error (the decoder threw): ${item.detail}`;
    if (typeof item.detail !== 'string' || item.detail.trim() === '') return `item ${i}: ${item.reason} without a detail`;
    if (!(item.raw instanceof Uint8Array)) return `item ${i}: ${item.reason} without raw bytes`;
    if (item.signal !== target.signal) return `item ${i}: dead letter of signal ${item.signal}`;
  }
  return undefined;
}

/** The outcome of one case: `ok` / a dead-letter reason per item, or the failure. */
export function runCase(fuzz: FuzzCase): { outcomes: string[]; failure?: string } {
  let items: DecodedItem[];
  try {
    items = fuzz.target.decoder.decode(fuzz.bytes);
  } catch (err) {
    return { outcomes: [], failure: `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}` };
  }
  const failure = checkDecoded(fuzz.target, items);
  return failure === undefined ? { outcomes: items.length === 0 ? ['(no items)'] : items.map((i) => (i.ok ? 'ok' : i.reason)) } : { outcomes: [], failure };
}

/** mulberry32 with the helpers the generators need. */
class Rng {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  float(): number {
    return this.#next();
  }
  int(maxExclusive: number): number {
    return Math.floor(this.#next() * maxExclusive);
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(length: number): Uint8Array {
    return Uint8Array.from({ length }, () => this.int(256));
  }
}

type Generator = (rng: Rng, target: FuzzTarget) => Uint8Array;

const utf8 = new TextEncoder();
const text = (s: string) => utf8.encode(s);
const isOtlp = (target: FuzzTarget) => target.encoding !== 'json';
const otlpSignal = (target: FuzzTarget) => target.signal as 'spans' | 'logs';

/** Keys that have bitten JavaScript parsers and object builders. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf'];

/** Numbers JSON can carry that JavaScript cannot hold exactly (or at all): as JSON text. */
const AWKWARD_NUMBERS = ['9007199254740993', '-9007199254740993', '18446744073709551616', '1e21', '1e308', '1e999', '-1e999', '5e-324', '-0', '0.1', '1.7976931348623157e308', '123456789012345678901234567890'];

/** Invalid UTF-8: truncated, lone continuation, overlong, encoded surrogate, past U+10FFFF, never-valid bytes. */
const INVALID_UTF8 = [[0xc3, 0x28], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0xfe, 0xfe], [0xe2, 0x82]];

const DEPTHS = [63, 64, 65, 100, 1_000, 5_000, 20_000, 100_000];

/** A random JSON value as text, at most `depth` levels deep. */
function randomJson(rng: Rng, depth = 3): string {
  const choice = rng.int(depth > 0 ? 10 : 7);
  switch (choice) {
    case 0: return 'null';
    case 1: return rng.chance(0.5) ? 'true' : 'false';
    case 2: return String(rng.int(1_000) - 500);
    case 3: return rng.pick(AWKWARD_NUMBERS);
    case 4: return JSON.stringify(rng.pick(['', 'x', 'NaN', 'Infinity', 'ERROR', '\u0000', '😀', '\ud800', 'a'.repeat(rng.int(3_000))]));
    case 5: return JSON.stringify(String(rng.float()));
    case 6: return JSON.stringify(rng.pick(PROTOTYPE_KEYS));
    case 7: return `[${Array.from({ length: rng.int(4) }, () => randomJson(rng, depth - 1)).join(',')}]`;
    default: return `{${Array.from({ length: rng.int(4) }, () => `${JSON.stringify(rng.chance(0.3) ? rng.pick(PROTOTYPE_KEYS) : `k${rng.int(9)}`)}:${randomJson(rng, depth - 1)}`).join(',')}}`;
  }
}

/** Text of nested JSON arrays / objects `levels` deep (JSON.stringify cannot write it). */
function deepJson(rng: Rng, levels: number): string {
  const [open, close] = rng.pick([['[', ']'], ['{"a":', '}'], ['[{"b":', '}]']] as const);
  const repeats = open === '[{"b":' ? Math.ceil(levels / 2) : levels;
  return open.repeat(repeats) + (open === '[' ? '' : '1') + close.repeat(repeats);
}

/** Text of an OTLP/JSON AnyValue nesting `levels` kvlists or arrays. */
function deepAnyValueJson(rng: Rng, levels: number): string {
  const [open, close] = rng.chance(0.5)
    ? ['{"kvlistValue":{"values":[{"key":"k","value":', '}]}}']
    : ['{"arrayValue":{"values":[', ']}}'];
  return open.repeat(levels) + '{"stringValue":"x"}' + close.repeat(levels);
}

/** A valid message of the target, with a few optional fields set at random. */
function validMessage(rng: Rng, target: FuzzTarget): Uint8Array {
  if (!isOtlp(target)) {
    const event: Record<string, unknown> = { ...VALID_EVENTS[target.signal] };
    if (rng.chance(0.5)) event.attributes = { region: 'eu-west-1', 'http.method': 'GET' };
    if (rng.chance(0.5)) event.extra = { nested: [1, 'two', { three: 3 }] };
    return text(JSON.stringify(event));
  }
  const attributes = [
    { key: 'http.response.status_code', value: { intValue: '503' } },
    { key: 'http.route', value: { stringValue: '/orders/{id}' } },
    { key: 'labels', value: { kvlistValue: { values: [{ key: 'a', value: { arrayValue: { values: [{ doubleValue: 0.5 }, { boolValue: true }] } } }] } } },
    { key: 'blob', value: { bytesValue: 'AAEC' } },
  ];
  const resource = serviceResource('checkout', [{ key: 'deployment.environment.name', value: { stringValue: 'staging' } }]);
  const count = 1 + rng.int(3);
  const request = otlpSignal(target) === 'spans'
    ? traceRequest(Array.from({ length: count }, (_, i) => otlpSpan({ spanId: `eee19b7ec3c1b17${i}`, kind: 1 + rng.int(5), status: { code: rng.int(3) }, attributes })), resource)
    : logsRequest(Array.from({ length: count }, () => otlpLogRecord({ severityNumber: 1 + rng.int(24), attributes })), resource);
  return requestBytes(otlpSignal(target), target.encoding as 'otlp_json' | 'otlp_proto', request);
}

/** `valid` JSON text with `field` set to the JSON text `value` (prepended: a later duplicate key would win). */
function jsonWithField(rng: Rng, target: FuzzTarget, field: string, value: string): Uint8Array {
  const body = new TextDecoder().decode(validMessage(rng, target));
  return text(`{${JSON.stringify(field)}:${value},${body.slice(1)}`);
}

/** An OTLP/JSON request (text) whose first item carries `attribute` as the JSON text of an attribute's AnyValue. */
function otlpJsonWithAttribute(target: FuzzTarget, key: string, anyValueJson: string, itemOverrides: object = {}): Uint8Array {
  const item = otlpSignal(target) === 'spans'
    ? otlpSpan({ attributes: [{ key, value: { stringValue: '@@' } }], ...itemOverrides })
    : otlpLogRecord({ attributes: [{ key, value: { stringValue: '@@' } }], ...itemOverrides });
  const request = otlpSignal(target) === 'spans' ? traceRequest([item, otlpSpan()]) : logsRequest([item, otlpLogRecord()]);
  return text(JSON.stringify(request).replace('{"stringValue":"@@"}', anyValueJson));
}

/** A protobuf request whose first item carries the AnyValue body `anyValue` under `key`. */
function protoWithAttribute(target: FuzzTarget, key: string, anyValue: Uint8Array, extraFields?: Uint8Array): Uint8Array {
  return wireRequest(otlpSignal(target), [[keyValue(key, anyValue)], []], extraFields);
}

/** Known fields of a contract (all that VALID_EVENTS sets, and more), for wrong-type cases. */
const JSON_FIELDS: Record<Signal, string[]> = {
  spans: ['service', 'environment', 'version', 'traceId', 'spanId', 'parentSpanId', 'operation', 'route', 'kind', 'startTimeMs', 'durationMs', 'status', 'httpStatusCode', 'peerService', 'attributes'],
  logs: ['service', 'environment', 'version', 'timestampMs', 'severityNumber', 'severityText', 'body', 'traceId', 'spanId', 'attributes'],
  checks: ['checkId', 'service', 'environment', 'version', 'journey', 'location', 'timestampMs', 'success', 'durationMs', 'failedStep', 'attributes'],
  deploys: ['deployId', 'service', 'environment', 'version', 'team', 'commitSha', 'commitTimeMs', 'startedAtMs', 'finishedAtMs', 'status', 'strategy', 'emergency', 'changeTicket', 'attributes'],
  incidents: ['incidentId', 'service', 'environment', 'title', 'severity', 'openedAtMs', 'resolvedAtMs', 'linkedDeployId', 'attributes'],
};

const OTLP_ITEM_FIELDS: Record<'spans' | 'logs', string[]> = {
  spans: ['traceId', 'spanId', 'parentSpanId', 'name', 'kind', 'startTimeUnixNano', 'endTimeUnixNano', 'attributes', 'status', 'events', 'links'],
  logs: ['timeUnixNano', 'observedTimeUnixNano', 'severityNumber', 'severityText', 'body', 'attributes', 'traceId', 'spanId', 'eventName'],
};

/** Replaces one node of a parsed OTLP/JSON request, chosen by a random walk from the root, with `value`. */
function replaceRandomNode(rng: Rng, root: Record<string, unknown>, value: unknown): void {
  let node: unknown = root;
  for (let step = 0; step < 12; step++) {
    if (node === null || typeof node !== 'object') return;
    const keys = Object.keys(node);
    if (keys.length === 0) return;
    const key = rng.pick(keys);
    const child = (node as Record<string, unknown>)[key];
    if (child === null || typeof child !== 'object' || rng.chance(0.25)) {
      (node as Record<string, unknown>)[key] = value;
      return;
    }
    node = child;
  }
}

function flipBits(rng: Rng, bytes: Uint8Array, flips: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  for (let i = 0; i < flips && copy.length > 0; i++) copy[rng.int(copy.length)]! ^= 1 << rng.int(8);
  return copy;
}

const GENERATORS: readonly (readonly [string, Generator])[] = [
  ['empty', () => new Uint8Array(0)],
  ['random_bytes', (rng) => rng.bytes(rng.int(512))],
  ['random_json', (rng) => text(randomJson(rng, 4))],
  ['valid', validMessage],
  ['bit_flips', (rng, target) => flipBits(rng, validMessage(rng, target), 1 + rng.int(16))],
  ['truncated', (rng, target) => {
    const bytes = validMessage(rng, target);
    return bytes.subarray(0, 1 + rng.int(Math.max(1, bytes.length - 1)));
  }],
  ['spliced', (rng, target) => {
    const bytes = validMessage(rng, target);
    const at = rng.int(bytes.length);
    return rng.chance(0.5) ? concat(bytes.subarray(0, at), rng.bytes(1 + rng.int(16)), bytes.subarray(at)) : concat(bytes.subarray(0, at), bytes.subarray(at + 1 + rng.int(16)));
  }],
  ['deep_nesting', (rng, target) => {
    const levels = rng.pick(DEPTHS);
    if (target.encoding === 'json') {
      // half into an unknown field (kept as attribute JSON text: the path that used to overflow the stack)
      return jsonWithField(rng, target, rng.chance(0.5) ? 'nested' : rng.pick(JSON_FIELDS[target.signal]), deepJson(rng, levels));
    }
    if (target.encoding === 'otlp_json') {
      if (rng.chance(0.8)) return otlpJsonWithAttribute(target, 'deep', deepAnyValueJson(rng, levels));
      const empty = otlpSignal(target) === 'spans' ? traceRequest([]) : logsRequest([]);
      return text(JSON.stringify(empty).replace('[]', deepJson(rng, levels))); // the item list itself nests
    }
    return protoWithAttribute(target, 'deep', nestedAnyValue(Math.min(levels, 20_000), rng.pick(['kvlist', 'array'] as const)));
  }],
  ['huge_string', (rng, target) => {
    const huge = rng.pick(['x', 'é', '😀', '\\u0000', '"']).repeat(1_000 + rng.int(300_000)).replaceAll('"', '\\"');
    if (target.encoding === 'json') return jsonWithField(rng, target, rng.pick(['note', ...JSON_FIELDS[target.signal]]), `"${huge}"`);
    if (target.encoding === 'otlp_json') {
      const field = rng.pick(OTLP_ITEM_FIELDS[otlpSignal(target)]);
      return otlpJsonWithAttribute(target, rng.chance(0.5) ? 'k' : huge, `{"stringValue":"${huge}"}`, rng.chance(0.5) ? { [field]: JSON.parse(`"${huge}"`) } : {});
    }
    return protoWithAttribute(target, 'huge', stringField(1, JSON.parse(`"${huge}"`) as string));
  }],
  ['invalid_utf8', (rng, target) => {
    const bad = Uint8Array.from(rng.pick(INVALID_UTF8));
    if (target.encoding === 'otlp_proto') {
      const marked = protoWithAttribute(target, 'note', stringField(1, 'XXXX'));
      const at = Buffer.from(marked).indexOf('XXXX');
      const copy = Uint8Array.from(marked);
      copy.set(bad.subarray(0, 4), at); // same length: the protobuf stays well-formed
      return copy;
    }
    const bytes = validMessage(rng, target);
    const at = rng.int(bytes.length);
    return concat(bytes.subarray(0, at), bad, bytes.subarray(at));
  }],
  ['lone_surrogate', (rng, target) => {
    const escape = rng.pick(['\\ud800', '\\udfff', 'a\\udc80b', '\\ud83d']);
    if (target.encoding === 'json') return jsonWithField(rng, target, rng.pick(['note', ...JSON_FIELDS[target.signal]]), `"${escape}"`);
    if (target.encoding === 'otlp_json') return otlpJsonWithAttribute(target, rng.chance(0.5) ? 'k' : JSON.parse(`"${escape}"`), `{"stringValue":"${escape}"}`);
    return protoWithAttribute(target, 'note', stringField(1, JSON.parse(`"${escape}"`) as string));
  }],
  ['wrong_types', (rng, target) => {
    if (target.encoding === 'json') return jsonWithField(rng, target, rng.pick(JSON_FIELDS[target.signal]), randomJson(rng, 3));
    if (target.encoding === 'otlp_json') {
      const request = JSON.parse(new TextDecoder().decode(validMessage(rng, target))) as Record<string, unknown>;
      for (let i = 0, n = 1 + rng.int(3); i < n; i++) replaceRandomNode(rng, request, JSON.parse(randomJson(rng, 2)));
      return text(JSON.stringify(request));
    }
    // protobuf: known field numbers with the wrong wire type (or unknown ones), appended to the first item
    const fields = Array.from({ length: 1 + rng.int(4) }, () => {
      const field = 1 + rng.int(16);
      const wireType = rng.pick([0, 1, 2, 5] as WireType[]);
      if (wireType === 0) return varintField(field, BigInt(rng.int(1 << 30)) * BigInt(rng.int(1 << 30)));
      if (wireType === 1) return fixed64Field(field, BigInt(rng.int(1 << 30)) << 20n);
      if (wireType === 2) return bytesField(field, rng.bytes(rng.int(24)));
      return concat(tag(field, 5), rng.bytes(4));
    });
    return protoWithAttribute(target, 'a', stringField(1, 'b'), concat(...fields));
  }],
  ['non_finite', (rng, target) => {
    if (target.encoding === 'json') return jsonWithField(rng, target, rng.pick(['ratio', ...JSON_FIELDS[target.signal]]), rng.pick(['1e999', '-1e999', 'NaN', 'Infinity', '[1e999,-1e999]', '{"x":1e999}']));
    if (target.encoding === 'otlp_json') {
      return otlpJsonWithAttribute(target, 'ratio', rng.pick(['{"doubleValue":"NaN"}', '{"doubleValue":"Infinity"}', '{"doubleValue":"-Infinity"}', '{"doubleValue":1e999}', '{"doubleValue":null}', '{"arrayValue":{"values":[{"doubleValue":"NaN"}]}}', '{"intValue":"NaN"}']));
    }
    return protoWithAttribute(target, 'ratio', doubleField(4, rng.pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, Number.MIN_VALUE])));
  }],
  ['prototype_keys', (rng, target) => {
    const key = rng.pick(PROTOTYPE_KEYS);
    if (target.encoding === 'json') {
      return rng.chance(0.5)
        ? jsonWithField(rng, target, key, randomJson(rng, 2))
        : jsonWithField(rng, target, 'attributes', `{${JSON.stringify(key)}:"polluted","ok":"1"}`);
    }
    if (target.encoding === 'otlp_json') {
      if (rng.chance(0.3)) return text(`{${JSON.stringify(key)}:{"polluted":true},${new TextDecoder().decode(validMessage(rng, target)).slice(1)}`);
      return otlpJsonWithAttribute(target, key, rng.chance(0.5) ? '{"stringValue":"polluted"}' : `{"kvlistValue":{"values":[{"key":${JSON.stringify(key)},"value":{"stringValue":"polluted"}}]}}`, rng.chance(0.3) ? JSON.parse(`{${JSON.stringify(key)}:{"polluted":true}}`) : {});
    }
    const kvlist = bytesField(1, keyValue(key, stringField(1, 'polluted'))); // KeyValueList.values
    return protoWithAttribute(target, key, rng.chance(0.5) ? stringField(1, 'polluted') : bytesField(6, kvlist));
  }],
  ['big_numbers', (rng, target) => {
    const number = rng.pick(AWKWARD_NUMBERS);
    if (target.encoding === 'json') return jsonWithField(rng, target, rng.pick(JSON_FIELDS[target.signal]), number);
    if (target.encoding === 'otlp_json') {
      const field = rng.pick(otlpSignal(target) === 'spans' ? ['startTimeUnixNano', 'endTimeUnixNano', 'kind'] : ['timeUnixNano', 'observedTimeUnixNano', 'severityNumber']);
      return otlpJsonWithAttribute(target, 'n', `{"intValue":${rng.chance(0.5) ? number : JSON.stringify(number)}}`, { [field]: rng.chance(0.5) ? JSON.parse(number) : number });
    }
    return protoWithAttribute(target, 'n', varintField(3, rng.pick([-1n, (1n << 63n) - 1n, -(1n << 63n), (1n << 53n) + 1n])));
  }],
  ['many_items', (rng, target) => {
    if (target.encoding === 'json') {
      const attributes = Object.fromEntries(Array.from({ length: 100 + rng.int(400) }, (_, i) => [`a${i}`, 'v'.repeat(rng.int(6_000))]));
      return jsonWithField(rng, target, 'attributes', JSON.stringify(attributes));
    }
    const count = 100 + rng.int(900);
    if (target.encoding === 'otlp_proto') return wireRequest(otlpSignal(target), Array.from({ length: count }, (_, i) => [keyValue(`k${i}`, stringField(1, 'v'))]));
    const items = Array.from({ length: count }, () => (otlpSignal(target) === 'spans' ? otlpSpan() : otlpLogRecord()));
    return requestBytes(otlpSignal(target), 'otlp_json', otlpSignal(target) === 'spans' ? traceRequest(items) : logsRequest(items));
  }],
];

/** The kinds of case, for reports. */
export const FUZZ_KINDS: readonly string[] = GENERATORS.map(([kind]) => kind);
