import { describe, expect, it } from 'vitest';
import { codecOf } from '../../../ingest/sink/binary-column-codecs.ts';
import { NativeEncoder } from '../../../ingest/sink/native-encoder.ts';
import { RowBinaryEncoder } from '../../../ingest/sink/row-binary-encoder.ts';

const hex = (b: Buffer | undefined) => b?.toString('hex');
/** RowBinary of one value of `type`, as hex; undefined when it has no exact binary form. */
const encodeOne = (type: string, value: unknown) => hex(RowBinaryEncoder.forColumns([{ name: 'c', type }])!.encode([{ c: value }])?.data);

describe('RowBinaryEncoder', () => {
  it.each([
    { type: 'String', value: 'ab', bytes: '026162' },
    { type: 'String', value: 'é', bytes: '02c3a9' },
    { type: 'String', value: 'x'.repeat(200), bytes: `c801${'78'.repeat(200)}` },
    { type: 'LowCardinality(String)', value: '', bytes: '00' },
    { type: 'UInt8', value: 255, bytes: 'ff' },
    { type: 'UInt16', value: 500, bytes: 'f401' },
    { type: 'Int32', value: -2, bytes: 'feffffff' },
    { type: 'Int64', value: -1, bytes: 'ffffffffffffffff' },
    { type: 'Int64', value: 2 ** 40 + 3, bytes: '0300000000010000' },
    { type: 'UInt64', value: 7, bytes: '0700000000000000' },
    { type: 'Float64', value: 1.5, bytes: '000000000000f83f' },
    { type: 'Float64', value: -0, bytes: '0000000000000000' },
    { type: 'Bool', value: true, bytes: '01' },
    { type: "DateTime64(3, 'UTC')", value: '1970-01-01 00:00:01.002', bytes: 'ea03000000000000' },
    { type: "DateTime64(3, 'UTC')", value: '1969-12-31 23:59:59.999', bytes: 'ffffffffffffffff' },
    { type: "DateTime('UTC')", value: '1970-01-02 00:00:00', bytes: '80510100' },
    { type: "Nullable(DateTime64(3, 'UTC'))", value: null, bytes: '01' },
    { type: "Nullable(DateTime64(3, 'UTC'))", value: '1970-01-01 00:00:00.001', bytes: '000100000000000000' },
    { type: 'Array(Int32)', value: [1, -1], bytes: '0201000000ffffffff' },
    { type: 'Map(String, String)', value: { a: 'b', c: '' }, bytes: '0201610162016300' },
    { type: "Enum8('claim' = 1, 'pending' = 2)", value: 'pending', bytes: '02' },
  ])('writes $type $value as ClickHouse reads it', ({ type, value, bytes }) => {
    expect(encodeOne(type, value)).toBe(bytes);
  });

  it.each([
    { why: 'NaN (JSON sends null, stored as 0)', type: 'Float64', value: Number.NaN },
    { why: 'Infinity', type: 'Float64', value: Number.POSITIVE_INFINITY },
    { why: 'a string for a number column', type: 'UInt16', value: '200' },
    { why: 'an integer out of range', type: 'UInt16', value: 70_000 },
    { why: 'a fraction for an integer column', type: 'Int32', value: 1.5 },
    { why: 'an unsafe integer', type: 'Int64', value: 2 ** 60 },
    { why: 'a number for a string column', type: 'String', value: 1 },
    { why: 'a lone surrogate (JSON escapes it)', type: 'String', value: 'a\ud800b' },
    { why: 'null for a non-Nullable column', type: 'String', value: null },
    { why: 'a date without milliseconds', type: "DateTime64(3, 'UTC')", value: '2026-01-01 00:00:00' },
    { why: 'a date beyond DateTime64', type: "DateTime64(3, 'UTC')", value: '2300-01-01 00:00:00.000' },
    { why: 'an impossible date', type: "DateTime64(3, 'UTC')", value: '2026-02-30 00:00:00.000' },
    { why: 'a name outside the enum', type: "Enum8('claim' = 1)", value: 'done' },
    { why: 'a non-string map value', type: 'Map(String, String)', value: { a: 1 } },
  ])('gives up on $why (the batch goes as JSONEachRow)', ({ type, value }) => {
    expect(encodeOne(type, value)).toBeUndefined();
    expect(NativeEncoder.forColumns([{ name: 'c', type }])!.encode([{ c: value }])).toBeUndefined();
  });

  it.each(['UUID', 'Decimal(10, 2)', "DateTime64(6, 'UTC')", 'DateTime64(3)', 'FixedString(4)', 'Float32'])('has no writer for %s', (type) => {
    expect(codecOf(type)).toBeUndefined();
    expect(RowBinaryEncoder.forColumns([{ name: 'c', type }])).toBeUndefined();
    expect(NativeEncoder.forColumns([{ name: 'c', type }])).toBeUndefined();
  });

  it('fills the columns the first row has, in table order; the others take their defaults', () => {
    const encoder = RowBinaryEncoder.forColumns([{ name: 'a', type: 'UInt8' }, { name: 'b', type: 'String' }, { name: 'c', type: 'UInt8' }])!;
    const out = encoder.encode([{ c: 2, a: 1 }, { a: 3, c: 4 }]);
    expect(out?.columns).toEqual(['a', 'c']);
    expect(hex(out?.data)).toBe('01020304');
  });

  it('gives up when rows do not share their fields, or a row has a field the table lacks', () => {
    const encoder = RowBinaryEncoder.forColumns([{ name: 'a', type: 'UInt8' }, { name: 'b', type: 'UInt8' }])!;
    expect(encoder.encode([{ a: 1 }, { a: 2, b: 3 }])).toBeUndefined();
    expect(encoder.encode([{ a: 1, b: 2 }, { a: 2 }])).toBeUndefined();
    expect(encoder.encode([{ a: 1, z: 2 }])).toBeUndefined();
  });

  it('encodes large batches (the buffer grows) and each result is its own copy', () => {
    const encoder = RowBinaryEncoder.forColumns([{ name: 's', type: 'String' }])!;
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ s: `row-${i}-${'é'.repeat(i % 50)}` }));
    const first = encoder.encode(rows)!.data;
    const again = encoder.encode([{ s: 'x' }])!.data;
    expect(first.length).toBe(rows.reduce((n, r) => n + Buffer.byteLength(r.s) + (Buffer.byteLength(r.s) < 128 ? 1 : 2), 0));
    expect(hex(again)).toBe('0178');
    expect(first.subarray(0, 7).toString('latin1')).toBe('\u0006row-0-');
  });
});

/** A Native block of one column: column count 1, the row count, the name, the type, then the column. */
const text = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]).toString('hex');
const block = (name: string, type: string, rows: number, column: string) => `01${Buffer.from([rows]).toString('hex')}${text(name)}${text(type)}${column}`;

describe('NativeEncoder', () => {
  it.each([
    { type: 'LowCardinality(String)', sent: 'String', values: ['ab', ''], column: '02616200' },
    { type: 'Int64', sent: 'Int64', values: [-1, 2], column: 'ffffffffffffffff0200000000000000' },
    { type: "Nullable(DateTime64(3, 'UTC'))", sent: "Nullable(DateTime64(3, 'UTC'))", values: [null, '1970-01-01 00:00:00.001'], column: '010000000000000000000100000000000000' },
    { type: 'Array(Int32)', sent: 'Array(Int32)', values: [[1], [], [2, 3]], column: '010000000000000001000000000000000300000000000000' + '01000000' + '02000000' + '03000000' },
    { type: 'Map(String, String)', sent: 'Map(String, String)', values: [{ a: 'b' }, {}, { c: 'd', e: '' }], column: '010000000000000001000000000000000300000000000000' + '016101630165' + '0162016400' },
  ])('writes a $type column as ClickHouse reads it (sent as $sent)', ({ type, sent, values, column }) => {
    const out = NativeEncoder.forColumns([{ name: 'c', type }])!.encode(values.map((c) => ({ c })));
    expect(out?.columns).toEqual(['c']);
    expect(hex(out?.data)).toBe(block('c', sent, values.length, column));
  });

  it('writes every filled column, in table order, one after the other', () => {
    const encoder = NativeEncoder.forColumns([{ name: 'a', type: 'UInt8' }, { name: 'b', type: 'String' }, { name: 'c', type: 'UInt8' }])!;
    const out = encoder.encode([{ c: 2, a: 1 }, { a: 3, c: 4 }]);
    expect(out?.columns).toEqual(['a', 'c']);
    expect(hex(out?.data)).toBe('0202' + '0161' + '0555496e7438' + '0103' + '0163' + '0555496e7438' + '0204');
  });
});
