import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import { SluiceError, errorMessage } from '../../platform/errors/sluice-error.ts';
import type { DecodedItem } from '../decode/decoder.ts';
import { KafkaDeadLetterPublisher } from '../kafka/kafka-dead-letter-publisher.ts';
import { DEAD_LETTER_TABLE, deadLetterRow } from '../sink/signal-rows.ts';
import type { AlertSource } from './alert-webhook-handler.ts';

/**
 * Where the alert doors of a cluster API process (`sluice api`, which runs no ingest
 * pipeline) hand their items: valid incidents go to the incidents topic as contract JSON
 * (key = incident id), for the ingest workers to write like any other incident; dead
 * letters go to the `dead_letters` table and the dead-letter topic, as the pipeline's
 * dead-letter path would. A failure is retriable (the door answers 503, and Alertmanager
 * and Datadog retry).
 */
export class KafkaAlertSubmitter {
  private readonly producer: Producer;
  private readonly incidentsTopic: string;
  private readonly deadLetters: KafkaDeadLetterPublisher;
  private readonly clickhouse: ClickHouseClient;

  constructor(opts: { producer: Producer; incidentsTopic: string; deadLetterTopic: string; clickhouse: ClickHouseClient }) {
    this.producer = opts.producer;
    this.incidentsTopic = opts.incidentsTopic;
    this.deadLetters = new KafkaDeadLetterPublisher(opts.producer, opts.deadLetterTopic);
    this.clickhouse = opts.clickhouse;
  }

  async submit(source: AlertSource, items: DecodedItem[]): Promise<void> {
    try {
      const valid = items.flatMap((i) => (i.ok && i.value.signal === 'incidents' ? [i.value.event] : []));
      if (valid.length > 0) {
        await this.producer.send({ topic: this.incidentsTopic, messages: valid.map((e) => ({ key: e.incidentId, value: JSON.stringify(e) })) });
      }
      const letters = items.filter((i): i is Extract<DecodedItem, { ok: false }> => !i.ok);
      if (letters.length > 0) {
        const position = { source: `alerts/${source}`, partition: 0, offset: -1 };
        const nowMs = Date.now();
        await this.clickhouse.insert({
          table: DEAD_LETTER_TABLE,
          format: 'JSONEachRow',
          values: letters.map((l) => deadLetterRow(l.signal, l.reason, l.detail, l.raw, position, nowMs)),
          clickhouse_settings: { insert_deduplication_token: `alerts:${randomUUID()}` },
        });
        await this.deadLetters.publish(letters.map((l) => ({ signal: l.signal, reason: l.reason, detail: l.detail, raw: l.raw, position })));
      }
    } catch (err) {
      throw new SluiceError('ALERT_SUBMIT_FAILED', `could not hand the alerts to Kafka / ClickHouse: ${errorMessage(err)}`, { retriable: true, cause: err });
    }
  }
}
