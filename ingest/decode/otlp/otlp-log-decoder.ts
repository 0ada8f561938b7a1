import type { SluiceEvent } from '../../../schema/events/v1/signal.ts';
import type { DecodedItem, Decoder } from '../decoder.ts';
import type { OtlpDecodeResult } from './otlp-decode-result.ts';
import { mapOtlpLogRecord } from './otlp-log-record-mapper.ts';
import type { OtlpLogRecord, OtlpLogsRequest, OtlpResourceLogs } from './otlp-request.ts';
import { jsonBytes, listOf, readOtlpRequest, type OtlpEncoding } from './otlp-request-reader.ts';
import { resourceOrigin, scopeOrigin } from './otlp-resource.ts';
import type { OtlpDecoderOptions } from './otlp-trace-decoder.ts';

/**
 * Decodes `ExportLogsServiceRequest` messages (`otlp_proto` or `otlp_json`, as the
 * Collector's Kafka exporter writes them) into `LogRecordV1` events; a record that cannot
 * be mapped or fails the contract is rejected alone, its siblings go on.
 */
export class OtlpLogDecoder implements Decoder {
  readonly signal = 'logs' as const;
  readonly encoding: OtlpEncoding;
  readonly #decodeProtobuf: ((bytes: Uint8Array) => OtlpLogsRequest) | undefined;

  constructor(options: OtlpDecoderOptions) {
    this.encoding = options.encoding;
    const codec = options.encoding === 'otlp_proto' ? options.protobuf : undefined;
    this.#decodeProtobuf = codec ? (bytes) => codec.decodeLogsRequest(bytes) : undefined;
  }

  decode(bytes: Uint8Array): DecodedItem[] {
    const result = this.decodeRequest(bytes);
    return result.ok ? result.items : [result.item];
  }

  decodeRequest(bytes: Uint8Array): OtlpDecodeResult {
    const read = readOtlpRequest(bytes, this.encoding, this.#decodeProtobuf, 'resourceLogs');
    if (!read.ok) return { ok: false, item: { ok: false, signal: 'logs', reason: read.reason, detail: read.detail, raw: bytes } };
    const items: DecodedItem[] = [];
    let rejected = 0;
    for (const resourceLogs of listOf<OtlpResourceLogs>(read.request.resourceLogs)) {
      if (resourceLogs === null || typeof resourceLogs !== 'object') continue;
      const origin = resourceOrigin(resourceLogs.resource);
      for (const scopeLogs of listOf<NonNullable<OtlpResourceLogs['scopeLogs']>[number]>(resourceLogs.scopeLogs)) {
        if (scopeLogs === null || typeof scopeLogs !== 'object') continue;
        const scoped = scopeOrigin(origin, scopeLogs.scope);
        for (const record of listOf<OtlpLogRecord>(scopeLogs.logRecords)) {
          const mapped = mapOtlpLogRecord(record, scoped);
          if (mapped.ok) {
            items.push({ ok: true, value: { signal: 'logs', event: mapped.event } as SluiceEvent });
            continue;
          }
          rejected += 1;
          const single = { resourceLogs: [{ resource: resourceLogs.resource, scopeLogs: [{ scope: scopeLogs.scope, logRecords: [record] }] }] };
          items.push({ ok: false, signal: 'logs', reason: mapped.reason, detail: mapped.detail, raw: jsonBytes(single) });
        }
      }
    }
    return { ok: true, items, rejected };
  }
}
