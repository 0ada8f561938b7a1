import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import { registerKafkaCodecs } from './kafka-codecs.ts';

/**
 * A kafkajs client whose logs go through pino (kafkajs' own levels mapped), able to read
 * and write every Kafka compression codec (kafka-codecs.ts).
 */
export function createKafka(opts: { brokers: string[]; clientId: string; logger: Logger }): Kafka {
  registerKafkaCodecs();
  const log = opts.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 100, retries: 8 },
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log;
      const fields = { namespace: entry.namespace, ...extra };
      if (entry.level <= logLevel.ERROR) log.error(fields, message);
      else if (entry.level === logLevel.WARN) log.warn(fields, message);
      else log.debug(fields, message);
    },
  });
}
