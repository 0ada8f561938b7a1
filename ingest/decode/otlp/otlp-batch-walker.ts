import { findInputLimitBreach, type InputLimitBreach } from '../../../schema/events/v1/input-limits.ts';
import type { SluiceEvent } from '../../../schema/events/v1/signal.ts';
import { guardMessage } from '../decode-guard.ts';
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

/** In OTLP, the levels of an attribute value are its AnyValue's arrayValue / kvlistValue levels. */
const ANY_VALUE_LEVELS = { countsAsLevel: (key: string | number) => key === 'arrayValue' || key === 'kvlistValue' };

/**
 * Decodes one export request and maps every item under its resource and scope. Before an
 * item is mapped, it (and the resource and scope it inherits from) is held to the input
 * limits: attribute values nest at most 64 levels (`too_deep`), text is valid UTF-8
 * (`invalid_utf8`; the protobuf codec hands invalid string bytes over as lone surrogates).
 * An item that breaks them or cannot be mapped is rejected alone, its `raw` a one-item
 * OTLP/JSON request that keeps its resource and scope; a bad resource or scope rejects each
 * of its items. Bytes that do not decode fail the whole message; so do zero bytes
 * (`empty_message`) and, as a last resort, an exception (`decoder_error`).
 */
export function decodeOtlpBatch<Item>(
  bytes: Uint8Array,
  encoding: OtlpEncoding,
  decodeProtobuf: ((bytes: Uint8Array) => object) | undefined,
  shape: OtlpSignalShape<Item>,
): OtlpDecodeResult {
  const guarded = guardMessage(shape.signal, bytes, () => walk(bytes, encoding, decodeProtobuf, shape));
  return guarded.ok ? guarded.value : guarded;
}

function walk<Item>(
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
    const resource = breachOf(resourceNode, scopeKey) ?? { ok: true as const, origin: resourceOrigin(resourceNode.resource) };
    for (const scopeNode of listOf<Node>(resourceNode[scopeKey])) {
      if (!isObject(scopeNode)) continue;
      const scope = !resource.ok ? resource : breachOf(scopeNode, itemKey) ?? { ok: true as const, origin: scopeOrigin(resource.origin, scopeNode.scope) };
      for (const item of listOf<Item>(scopeNode[itemKey])) {
        const mapped = !scope.ok ? scope : breachOf(item) ?? shape.map(item, scope.origin);
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

/**
 * The input-limit breach of an OTLP node as a rejection, or undefined. A resource or scope
 * node is checked without its list of children (they are checked one by one), so a breach
 * there is in the resource or scope every item under it inherits from: its detail starts
 * with `resource.` or `scope.`.
 */
function breachOf(node: unknown, childrenKey?: string): (OtlpItemResult<never> & { ok: false }) | undefined {
  let own = node;
  if (childrenKey !== undefined && isObject(node)) {
    const { [childrenKey]: _children, ...rest } = node;
    own = rest;
  }
  const breach: InputLimitBreach | undefined = findInputLimitBreach(own, ANY_VALUE_LEVELS);
  if (breach === undefined) return undefined;
  return { ok: false, reason: breach.reason, detail: `${breach.path.length > 0 ? breach.path.join('.') : '(root)'}: ${breach.message}` };
}
