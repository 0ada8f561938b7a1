import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, topicRoutes } from '../../../platform/config/sluice-config.ts';

describe('parseConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = parseConfig([], {});
    expect(c).toMatchObject({ httpPort: 4000, batchMaxRows: 1000, batchMaxDelayMs: 1000, simulate: true, clickhouseDatabase: 'sluice' });
    expect(c.clickhouseUrl).toBeUndefined();
  });

  it('reads env vars and lets flags win', () => {
    const c = parseConfig(['--port', '5000', '--no-simulate'], { SLUICE_HTTP_PORT: '4500', KAFKA_BROKERS: 'a:9092, b:9093' });
    expect(c.httpPort).toBe(5000);
    expect(c.simulate).toBe(false);
    expect(c.kafkaBrokers).toEqual(['a:9092', 'b:9093']);
  });

  it.each([
    [['--port', 'abc'], {}, /SLUICE_HTTP_PORT \(--port\).*got "abc"/],
    [[], { SLUICE_BATCH_MAX_ROWS: '0' }, /SLUICE_BATCH_MAX_ROWS \(--batch-max-rows\)/],
    [[], { KAFKA_BROKERS: 'nohostport' }, /KAFKA_BROKERS \(--kafka-brokers\): must be host:port/],
    [[], { CLICKHOUSE_URL: 'not a url' }, /CLICKHOUSE_URL \(--clickhouse-url\)/],
    [['--topic-spans-encoding', 'avro'], {}, /SLUICE_TOPIC_SPANS_ENCODING/],
    [['--bogus'], {}, /unknown option --bogus/],
    [['--port='], {}, /option --port needs a value/],
    [[], { SLUICE_SAMPLE_RATES: 'checkout=2' }, /SLUICE_SAMPLE_RATES \(--sample-rates\).*checkout=2/],
  ])('rejects a bad value naming the option: %j %j', (argv, env, message) => {
    expect(() => parseConfig(argv, env)).toThrow(ConfigError);
    expect(() => parseConfig(argv, env)).toThrow(message);
  });

  it('routes each signal topic to its encoding', () => {
    const routes = topicRoutes(parseConfig(['--topic-spans-encoding', 'otlp_proto'], {}));
    expect(routes.find((r) => r.signal === 'spans')).toEqual({ topic: 'sluice.spans.v1', signal: 'spans', encoding: 'otlp_proto', signals: ['spans'] });
    expect(routes.find((r) => r.signal === 'deploys')!.encoding).toBe('json');
  });

  it('reads one OTLP topic configured for spans and logs once, as both (the Collector\'s one-topic mode)', () => {
    const config = parseConfig(['--topic-spans', 'otlp', '--topic-logs', 'otlp', '--topic-spans-encoding', 'otlp_proto', '--topic-logs-encoding', 'otlp_proto'], {});
    const routes = topicRoutes(config).filter((r) => r.topic === 'otlp');
    expect(routes).toEqual([{ topic: 'otlp', signal: 'spans', encoding: 'otlp_proto', signals: ['spans', 'logs'] }]);
  });

  it.each([
    { name: 'two JSON topics', argv: ['--topic-spans', 'x', '--topic-logs', 'x'] },
    { name: 'OTLP topics of different encodings', argv: ['--topic-spans', 'x', '--topic-logs', 'x', '--topic-spans-encoding', 'otlp_proto', '--topic-logs-encoding', 'otlp_json'] },
    { name: 'checks and deploys', argv: ['--topic-checks', 'x', '--topic-deploys', 'x'] },
  ])('refuses $name sharing a topic at start-up, naming the option', ({ argv }) => {
    expect(() => parseConfig(argv, {})).toThrow(/SLUICE_TOPIC_(LOGS|DEPLOYS) \(--topic-(logs|deploys)\): topic "x" is also SLUICE_TOPIC_(SPANS|CHECKS)/);
  });
});
