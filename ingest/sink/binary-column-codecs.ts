/**
 * Binary writers of ClickHouse column types, for the RowBinary and Native encoders
 * (row-binary-encoder.ts, native-encoder.ts), built from the type names `system.columns`
 * gives (https://clickhouse.com/docs/interfaces/formats/RowBinary,
 * https://clickhouse.com/docs/interfaces/formats/Native).
 *
 * **Never a different stored value.** The values are those of JSONEachRow rows (the objects
 * of signal-rows.ts and of the batch participants). A value is written only when its binary
 * form is exactly what ClickHouse stores from the same row sent as JSONEachRow; anything
 * else throws NOT_ENCODABLE and the caller sends the batch as JSONEachRow: a type without a
 * codec here, a string for a number column, NaN or ±Infinity (JSON sends `null`, stored as
 * the default), an integer out of range, a date outside the type's range or not in the
 * exact `YYYY-MM-DD hh:mm:ss[.mmm]` form, a time zone other than UTC, a lone surrogate
 * (JSON escapes it), null for a non-Nullable column.
 */

/** Thrown (and caught by the encoders) when a value has no exact binary form. */
export const NOT_ENCODABLE = new Error('value not encodable exactly in a binary format');

/** How one ClickHouse type is written. */
export interface ColumnCodec {
  /** The type named in a Native block header: the column's type without LowCardinality (ClickHouse converts on insert). */
  readonly nativeType: string;
  /** What a Native column holds for a NULL of a Nullable column. */
  readonly nullValue: unknown;
  /** True when a Native column is just the values one after the other, each as `write` writes it. */
  readonly scalar: boolean;
  /** One value, as RowBinary writes it. */
  write(sink: ByteSink, value: unknown): void;
  /** Values `at(0)…at(count-1)` as a Native column. */
  writeColumn(sink: ByteSink, count: number, at: (i: number) => unknown): void;
}

/** A growing byte buffer with the little-endian writers the binary formats need; reused between batches. */
export class ByteSink {
  private buf = Buffer.allocUnsafe(1 << 16);
  pos = 0;

  reset(): void {
    this.pos = 0;
  }

  /** A copy of the bytes written (the sink's buffer is reused by the next batch). */
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
  }

  /** A safe integer as 64-bit two's complement (low word, then high word). */
  i64(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / 4294967296);
    this.buf.writeUInt32LE(v - hi * 4294967296, this.pos);
    this.buf.writeInt32LE(hi, this.pos + 4);
    this.pos += 8;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** Unsigned LEB128, as the binary formats write lengths. */
  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** Length-prefixed UTF-8; a string that is not well-formed UTF-16 (lone surrogate) is not encodable. */
  string(s: string): void {
    const n = s.length;
    this.ensure(n * 3 + 10);
    const buf = this.buf;
    if (n < 128) {
      // ASCII fast path: one length byte, one byte per character
      const start = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === n) {
        buf[this.pos] = n;
        this.pos = start + n;
        return;
      }
    }
    if (!s.isWellFormed()) throw NOT_ENCODABLE;
    const bytes = Buffer.byteLength(s, 'utf8');
    this.varint(bytes);
    this.buf.write(s, this.pos, bytes, 'utf8');
    this.pos += bytes;
  }
}

/** A codec whose Native column is its values one after the other (every scalar type). */
function scalar(nativeType: string, nullValue: unknown, write: (sink: ByteSink, value: unknown) => void): ColumnCodec {
  return {
    nativeType,
    nullValue,
    scalar: true,
    write,
    writeColumn(sink, count, at) {
      for (let i = 0; i < count; i++) write(sink, at(i));
    },
  };
}

/** Splits `a, b(c, d), 'e, f'` at top-level commas. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out;
}

const INTEGERS: Record<string, { min: number; max: number; write: (s: ByteSink, v: number) => void }> = {
  UInt8: { min: 0, max: 0xff, write: (s, v) => s.u8(v) },
  UInt16: { min: 0, max: 0xffff, write: (s, v) => s.u16(v) },
  UInt32: { min: 0, max: 0xffffffff, write: (s, v) => s.u32(v) },
  UInt64: { min: 0, max: Number.MAX_SAFE_INTEGER, write: (s, v) => s.i64(v) },
  Int8: { min: -0x80, max: 0x7f, write: (s, v) => s.u8(v & 0xff) },
  Int16: { min: -0x8000, max: 0x7fff, write: (s, v) => s.u16(v & 0xffff) },
  Int32: { min: -0x80000000, max: 0x7fffffff, write: (s, v) => s.i32(v) },
  Int64: { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, write: (s, v) => s.i64(v) },
};

/** The codec of a ClickHouse type, or undefined when it has none here (the table is then written as JSONEachRow). */
export function codecOf(type: string): ColumnCodec | undefined {
  const t = type.trim();
  const open = t.indexOf('(');
  const head = open === -1 ? t : t.slice(0, open);
  const args = open === -1 ? [] : splitArgs(t.slice(open + 1, t.lastIndexOf(')')));
  const integer = INTEGERS[head];
  if (integer && open === -1) {
    return scalar(head, 0, (s, v) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < integer.min || v > integer.max) throw NOT_ENCODABLE;
      integer.write(s, v);
    });
  }
  switch (head) {
    case 'String':
      return scalar('String', '', (s, v) => {
        if (typeof v !== 'string') throw NOT_ENCODABLE;
        s.string(v);
      });
    case 'Float64':
      return scalar('Float64', 0, (s, v) => {
        // JSON sends NaN and ±Infinity as null (stored as 0): no exact binary form
        if (typeof v !== 'number' || !Number.isFinite(v)) throw NOT_ENCODABLE;
        s.f64(v === 0 ? 0 : v); // JSON writes -0 as 0
      });
    case 'Bool':
      return scalar('Bool', false, (s, v) => {
        if (typeof v !== 'boolean') throw NOT_ENCODABLE;
        s.u8(v ? 1 : 0);
      });
    case 'LowCardinality':
      // sent as the inner type; ClickHouse builds the dictionary on insert
      return args.length === 1 ? codecOf(args[0]!) : undefined;
    case 'Nullable':
      return args.length === 1 ? nullable(args[0]!) : undefined;
    case 'Array':
      return args.length === 1 ? array(args[0]!) : undefined;
    case 'Map':
      return args.length === 2 ? map(args[0]!, args[1]!) : undefined;
    case 'DateTime64':
      // only UTC columns: their text form is read in UTC, exactly what the row holds
      if (args.length !== 2 || args[0] !== '3' || args[1] !== "'UTC'") return undefined;
      return scalar(t, '1970-01-01 00:00:00.000', (s, v) => {
        if (typeof v !== 'string' || v.length !== 23 || v.charCodeAt(19) !== 0x2e) throw NOT_ENCODABLE;
        s.i64(parseDateTimeSeconds(v, DATETIME64_MIN_YEAR, DATETIME64_MAX_YEAR) * 1000 + digits(v, 20, 3));
      });
    case 'DateTime':
      if (args.length !== 1 || args[0] !== "'UTC'") return undefined;
      return scalar(t, '1970-01-01 00:00:00', (s, v) => {
        if (typeof v !== 'string' || v.length !== 19) throw NOT_ENCODABLE;
        const seconds = parseDateTimeSeconds(v, 1970, 2105);
        if (seconds < 0 || seconds > 0xffffffff) throw NOT_ENCODABLE;
        s.u32(seconds);
      });
    case 'Enum8':
    case 'Enum16':
      return enumeration(t, head, args);
    default:
      return undefined;
  }
}

function nullable(innerType: string): ColumnCodec | undefined {
  const inner = codecOf(innerType);
  if (!inner) return undefined;
  return {
    nativeType: `Nullable(${inner.nativeType})`,
    nullValue: null,
    scalar: false,
    write(s, v) {
      if (v === null) s.u8(1);
      else {
        s.u8(0);
        inner.write(s, v);
      }
    },
    // Native: the null map, then the values with the inner type's default in place of NULLs
    writeColumn(s, count, at) {
      for (let i = 0; i < count; i++) s.u8(at(i) === null ? 1 : 0);
      inner.writeColumn(s, count, (i) => {
        const v = at(i);
        return v === null ? inner.nullValue : v;
      });
    },
  };
}

function array(itemType: string): ColumnCodec | undefined {
  const item = codecOf(itemType);
  if (!item) return undefined;
  const itemsOf = (v: unknown): unknown[] => {
    if (!Array.isArray(v)) throw NOT_ENCODABLE;
    for (const x of v) if (x === undefined) throw NOT_ENCODABLE;
    return v;
  };
  return {
    nativeType: `Array(${item.nativeType})`,
    nullValue: [],
    scalar: false,
    write(s, v) {
      const items = itemsOf(v);
      s.varint(items.length);
      for (const x of items) item.write(s, x);
    },
    // Native: cumulative end offsets (UInt64), then every item as one column
    writeColumn(s, count, at) {
      const all: unknown[] = [];
      for (let i = 0; i < count; i++) {
        for (const x of itemsOf(at(i))) all.push(x);
        s.i64(all.length);
      }
      item.writeColumn(s, all.length, (i) => all[i]);
    },
  };
}

function map(keyType: string, valueType: string): ColumnCodec | undefined {
  const key = codecOf(keyType);
  const value = codecOf(valueType);
  if (!key || !value) return undefined;
  const entriesOf = (v: unknown): [string, unknown][] => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw NOT_ENCODABLE;
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw NOT_ENCODABLE;
    const entries = Object.entries(v as Record<string, unknown>);
    for (const [, x] of entries) if (x === undefined) throw NOT_ENCODABLE; // JSON would omit the pair
    return entries;
  };
  return {
    nativeType: `Map(${key.nativeType}, ${value.nativeType})`,
    nullValue: {},
    scalar: false,
    write(s, v) {
      const entries = entriesOf(v);
      s.varint(entries.length);
      for (const [k, x] of entries) {
        key.write(s, k);
        value.write(s, x);
      }
    },
    // Native: as Array(Tuple(K, V)) — end offsets, then the keys column, then the values column
    writeColumn(s, count, at) {
      const keys: string[] = [];
      const values: unknown[] = [];
      for (let i = 0; i < count; i++) {
        for (const [k, x] of entriesOf(at(i))) {
          keys.push(k);
          values.push(x);
        }
        s.i64(keys.length);
      }
      key.writeColumn(s, keys.length, (i) => keys[i]);
      value.writeColumn(s, values.length, (i) => values[i]);
    },
  };
}

function enumeration(type: string, head: 'Enum8' | 'Enum16', args: string[]): ColumnCodec | undefined {
  const values = new Map<string, number>();
  for (const arg of args) {
    const m = /^'((?:[^'\\]|\\.)*)'\s*=\s*(-?\d+)$/.exec(arg);
    if (!m || m[1]!.includes('\\')) return undefined;
    values.set(m[1]!, Number(m[2]));
  }
  const first = values.keys().next().value;
  return scalar(type, first, (s, v) => {
    const n = typeof v === 'string' ? values.get(v) : undefined;
    if (n === undefined) throw NOT_ENCODABLE;
    if (head === 'Enum8') s.u8(n & 0xff);
    else s.u16(n & 0xffff);
  });
}

/** DateTime64's range (ClickHouse docs, "DateTime64": 1900-01-01 to 2299-12-31). */
const DATETIME64_MIN_YEAR = 1900;
const DATETIME64_MAX_YEAR = 2299;

function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) throw NOT_ENCODABLE;
    n = n * 10 + d;
  }
  return n;
}

/**
 * `YYYY-MM-DD hh:mm:ss` (UTC) → epoch seconds; a malformed or out-of-range date is not
 * encodable (ClickHouse's own text parsing decides those cases).
 */
function parseDateTimeSeconds(text: string, minYear: number, maxYear: number): number {
  if (text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d || text.charCodeAt(10) !== 0x20 || text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a) {
    throw NOT_ENCODABLE;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < minYear || year > maxYear || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw NOT_ENCODABLE;
  }
  return daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms", days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** A table column with its codec. */
export interface CodedColumn {
  name: string;
  codec: ColumnCodec;
}

/** The codecs of a table's columns, or undefined when one type has none (the table goes as JSONEachRow). */
export function codedColumns(columns: readonly { name: string; type: string }[]): CodedColumn[] | undefined {
  const out: CodedColumn[] = [];
  for (const column of columns) {
    const codec = codecOf(column.type);
    if (!codec) return undefined;
    out.push({ name: column.name, codec });
  }
  return out;
}

/**
 * The columns a batch of rows fills: those present in the first row, in table order (the
 * others take their defaults, as omitted JSON fields do). Undefined when a row fills a column
 * the first one does not, or the first row has a field the table lacks (JSONEachRow would
 * say so): the rows of one insert come from one mapping function and share their fields. A
 * row missing a filled column fails its encoding (no codec writes `undefined`).
 */
export function filledColumns(rows: readonly Record<string, unknown>[], columns: readonly CodedColumn[]): CodedColumn[] | undefined {
  const first = rows[0];
  if (!first) return undefined;
  const present = columns.filter((c) => first[c.name] !== undefined);
  const absent = columns.filter((c) => first[c.name] === undefined).map((c) => c.name);
  let fields = 0;
  for (const key in first) if (first[key] !== undefined) fields++;
  if (fields !== present.length) return undefined;
  if (absent.length > 0) {
    for (const row of rows) for (const name of absent) if (row[name] !== undefined) return undefined;
  }
  return present;
}
