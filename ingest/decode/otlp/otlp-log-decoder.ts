import type { DecodedItem, Decoder } from '../decoder.ts';
import type { OtlpDecodeResult } from './otlp-decode-result.ts';
import { mapOtlpLogRecord } from './otlp-log-record-mapper.ts';
import type { OtlpLogRecord, OtlpLogsRequest } from './otlp-request.ts';
import type { OtlpEncoding } from './otlp-request-reader.ts';
import { decodeOtlpBatch, type OtlpSignalShape } from './otlp-batch-walker.ts';
import type { OtlpDecoderOptions } from './otlp-trace-decoder.ts';


const SHAPE: OtlpSignalShape<OtlpLogRecord> = { signal: 'logs', resourceKey: 'resourceLogs', scopeKey: 'scopeLogs', itemKey: 'logRecords', map: mapOtlpLogRecord };
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
    return decodeOtlpBatch(bytes, this.encoding, this.#decodeProtobuf, SHAPE);
  }
}
