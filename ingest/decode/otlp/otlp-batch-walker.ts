import type { SluiceEvent } from '../../../schema/events/v1/signal.ts';
import type { DecodedItem } from '../decoder.ts';
import type { OtlpDecodeResult } from './otlp-decode-result.ts';
import type { OtlpItemResult } from './otlp-item-result.ts';
import { jsonBytes, listOf, readOtlpRequest, type OtlpEncoding } from './otlp-request-reader.ts';
import { resourceOrigin, scopeOrigin, type OtlpOrigin } from './otlp-resource.ts';
import type { OtlpResource, OtlpScope } from './otlp-request.ts';

/**
 * How one OTLP signal nests its items: `request[resourceKey][].scopeKey[].itemKey[]`
 * (traces: resourceSpans / scopeSpans / spans; logs: resourceLogs / scopeLogs /
 * logRecords) and how one item maps to a sluice event.
 */
export interface OtlpSignalShape<Item> {
  signal: 'spans' | 'logs';
  resourceKey: string;
  scopeKey: string;
  itemKey: string;
  map(item: Item, origin: OtlpOrigin): OtlpItemResult<SluiceEvent['event']>;
}

type Node = Record<string, unknown> & { resource?: OtlpResource; scope?: OtlpScope };

const isObject = (v: unknown): v is Node => v !== null && typeof v === 'object';

/**
 * Decodes one export request and maps every item under its resource and scope. An item
 * that cannot be mapped is rejected alone, its `raw` a one-item OTLP/JSON request that
 * keeps its resource and scope; bytes that do not decode fail the whole message.
 */
export function decodeOtlpBatch<Item>(
  bytes: Uint8Array,
  encoding: OtlpEncoding,
  decodeProtobuf: ((bytes: Uint8Array) => object) | undefined,
  shape: OtlpSignalShape<Item>,
): OtlpDecodeResult {
  const { signal, resourceKey, scopeKey, itemKey } = shape;
  const read = readOtlpRequest<Record<string, unknown>>(bytes, encoding, decodeProtobuf as ((b: Uint8Array) => Record<string, unknown>) | undefined, resourceKey);
  if (!read.ok) return { ok: false, item: { ok: false, signal, reason: read.reason, detail: read.detail, raw: bytes } };
  const items: DecodedItem[] = [];
  let rejected = 0;
  for (const resourceNode of listOf<Node>(read.request[resourceKey])) {
    if (!isObject(resourceNode)) continue;
    const origin = resourceOrigin(resourceNode.resource);
    for (const scopeNode of listOf<Node>(resourceNode[scopeKey])) {
      if (!isObject(scopeNode)) continue;
      const scoped = scopeOrigin(origin, scopeNode.scope);
      for (const item of listOf<Item>(scopeNode[itemKey])) {
        const mapped = shape.map(item, scoped);
        if (mapped.ok) {
          items.push({ ok: true, value: { signal, event: mapped.event } as SluiceEvent });
          continue;
        }
        rejected += 1;
        const single = { [resourceKey]: [{ resource: resourceNode.resource, [scopeKey]: [{ scope: scopeNode.scope, [itemKey]: [item] }] }] };
        items.push({ ok: false, signal, reason: mapped.reason, detail: mapped.detail, raw: jsonBytes(single) });
      }
    }
  }
  return { ok: true, items, rejected };
}
