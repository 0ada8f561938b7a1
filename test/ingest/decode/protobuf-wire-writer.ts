/**
 * Just enough of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/)
 * to write messages no encoder would: nested thousands of levels deep, with invalid UTF-8 in
 * string fields, or with the wrong wire type. Builds from the inside out, so no recursion.
 */

const utf8 = new TextEncoder();

/** Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
export type WireType = 0 | 1 | 2 | 5;

export function varint(value: number | bigint): Uint8Array {
  let n = BigInt(value);
  if (n < 0n) n += 1n << 64n; // int64 two's complement, as protobuf writes negative ints
  const out: number[] = [];
  while (n > 127n) {
    out.push(Number(n & 127n) | 128);
    n >>= 7n;
  }
  out.push(Number(n));
  return Uint8Array.from(out);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

export function tag(field: number, wireType: WireType): Uint8Array {
  return varint((field << 3) | wireType);
}

/** A length-delimited field: a sub-message, bytes, or a string already encoded. */
export function bytesField(field: number, body: Uint8Array): Uint8Array {
  return concat(tag(field, 2), varint(body.byteLength), body);
}

export function stringField(field: number, text: string): Uint8Array {
  return bytesField(field, utf8.encode(text));
}

export function varintField(field: number, value: number | bigint): Uint8Array {
  return concat(tag(field, 0), varint(value));
}

export function fixed64Field(field: number, value: bigint): Uint8Array {
  const body = new Uint8Array(8);
  new DataView(body.buffer).setBigUint64(0, value, true);
  return concat(tag(field, 1), body);
}

export function doubleField(field: number, value: number): Uint8Array {
  const body = new Uint8Array(8);
  new DataView(body.buffer).setFloat64(0, value, true);
  return concat(tag(field, 1), body);
}

/**
 * opentelemetry.proto.common.v1 field numbers: AnyValue (string 1, bool 2, int 3, double 4,
 * array 5, kvlist 6, bytes 7), KeyValue (key 1, value 2), ArrayValue / KeyValueList (values 1).
 */
export const ANY_VALUE = { string: 1, bool: 2, int: 3, double: 4, array: 5, kvlist: 6, bytes: 7 } as const;

/**
 * An AnyValue body nesting `levels` kvlists (each holding one key `k`) or arrays (each
 * holding one value) around a string. Every level only adds bytes in front (AnyValue.kvlist
 * → KeyValueList.values → KeyValue key, value; or AnyValue.array → ArrayValue.values), so
 * the headers are computed inside out from lengths and joined once: O(levels).
 */
export function nestedAnyValue(levels: number, kind: 'kvlist' | 'array' = 'kvlist', leaf = 'leaf'): Uint8Array {
  const inner = stringField(ANY_VALUE.string, leaf);
  const key = stringField(1, 'k');
  const headers: Uint8Array[] = [];
  let length = inner.byteLength;
  for (let i = 0; i < levels; i++) {
    let header: Uint8Array;
    if (kind === 'array') {
      const values = concat(tag(1, 2), varint(length)); // ArrayValue.values
      header = concat(tag(ANY_VALUE.array, 2), varint(values.byteLength + length), values); // AnyValue.array_value
    } else {
      const value = concat(tag(2, 2), varint(length)); // KeyValue.value
      const keyValueLength = key.byteLength + value.byteLength + length;
      const values = concat(tag(1, 2), varint(keyValueLength)); // KeyValueList.values
      const kvlist = concat(tag(ANY_VALUE.kvlist, 2), varint(values.byteLength + keyValueLength)); // AnyValue.kvlist_value
      header = concat(kvlist, values, key, value);
    }
    headers.push(header);
    length += header.byteLength;
  }
  return concat(...headers.reverse(), inner);
}

/** {@link nestedAnyValue} of kvlists. */
export function nestedKvlistAnyValue(levels: number, leaf = 'leaf'): Uint8Array {
  return nestedAnyValue(levels, 'kvlist', leaf);
}

/** A KeyValue body. */
export function keyValue(key: string, anyValue: Uint8Array): Uint8Array {
  return concat(stringField(1, key), bytesField(2, anyValue));
}
