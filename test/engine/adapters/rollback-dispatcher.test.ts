import { afterEach, describe, expect, it } from 'vitest';
import { classifyResponse, RollbackDispatcher, targetOf, type RollbackSink } from '../../../engine/adapters/rollback-dispatcher.ts';
import { InMemoryRollbackStore } from '../../../engine/adapters/rollback-store.ts';
import { signWebhook, verifyWebhookSignature } from '../../../engine/adapters/webhook-signature.ts';
import { ROLLBACK_REQUEST_SCHEMA_VERSION, type RollbackRequest } from '../../../engine/core/release/rollback-request.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { startWebhookReceiver } from './support/webhook-receiver.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function request(o: Partial<RollbackRequest> = {}): RollbackRequest {
  return {
    schemaVersion: ROLLBACK_REQUEST_SCHEMA_VERSION, requestId: 'rb_0123', service: 'checkout', environment: 'production', version: '1.4.2', deployId: 'd-42',
    rollbackToVersion: '1.4.1', rollbackToDeployId: 'd-41', reason: 'SLO checkout-availability became BREACHED',
    trigger: { kind: 'slo-breach', slo: 'checkout-availability', transitionId: 't', atMs: 1, rule: 'page-1h-5m', reason: 'page rule fires' },
    deployFinishedAtMs: 0, bakeEndsAtMs: 1_800_000, requestedAtMs: 60_000, dryRun: false, ...o,
  };
}

function dispatcher(o: { store?: InMemoryRollbackStore; webhooks?: { url: string; secret: string }[]; sinks?: RollbackSink[]; dryRun?: boolean; maxAttempts?: number } = {}) {
  const store = o.store ?? new InMemoryRollbackStore();
  const d = new RollbackDispatcher({
    store, sinks: o.sinks ?? [], webhooks: o.webhooks ?? [], dryRun: o.dryRun ?? false, maxAttempts: o.maxAttempts ?? 5,
    retry: { initialMs: 5, maxMs: 20 }, timeoutMs: 2_000, logger: silentLogger(),
  });
  return { d, store };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('rollback request delivery', () => {
  it('delivers a signed request exactly once although the first attempt fails, and logs every attempt', async () => {
    const receiver = await startWebhookReceiver(SECRET, [503]);
    closers.push(receiver.close);
    const { d, store } = dispatcher({ webhooks: [{ url: receiver.url, secret: SECRET }] });
    const r = request();
    expect((await d.dispatch(r)).created).toBe(true);
    await d.settle();
    expect(receiver.received.map((x) => [x.status, x.signatureValid])).toEqual([[503, true], [200, true]]);
    expect(new Set(receiver.received.map((x) => x.headers['webhook-id']))).toEqual(new Set(['rb_0123']));
    expect(receiver.received[1]!.headers['idempotency-key']).toBe('rb_0123');
    expect(receiver.accepted.size).toBe(1);
    expect(receiver.accepted.get('rb_0123')).toEqual(r);
    const log = await store.deliveries('rb_0123');
    expect(log.map((a) => [a.attempt, a.outcome, a.statusCode])).toEqual([[1, 'retry', 503], [2, 'delivered', 200]]);
    // the log never shows the query string (it may carry a token)
    expect(log[0]!.target).toBe(receiver.url.replace('?token=abc', ''));
    expect(log[0]!.nextAttemptAtMs).not.toBeNull();
    expect((await store.get('rb_0123'))!.state).toBe('delivered');

    // the same request again: recorded already, nothing sent
    expect((await d.dispatch(request({ requestedAtMs: 120_000 }))).created).toBe(false);
    await d.settle();
    expect(receiver.received).toHaveLength(2);
    expect(d.metrics).toMatchObject({ requested: 1, duplicates: 1, delivered: 1, retried: 1 });
  });

  it('does not retry a request the receiver refuses (4xx), and marks it failed', async () => {
    const receiver = await startWebhookReceiver(SECRET, [422]);
    closers.push(receiver.close);
    const { d, store } = dispatcher({ webhooks: [{ url: receiver.url, secret: SECRET }] });
    await d.dispatch(request());
    await d.settle();
    expect(receiver.received).toHaveLength(1);
    const [attempt] = await store.deliveries('rb_0123');
    expect(attempt).toMatchObject({ outcome: 'failed', statusCode: 422 });
    expect(attempt!.detail).toMatch(/HTTP 422: try again \(not retried/);
    expect((await store.get('rb_0123'))!.state).toBe('failed');
  });

  it('gives up after maxAttempts, saying so', async () => {
    const receiver = await startWebhookReceiver(SECRET, [500, 500, 500]);
    closers.push(receiver.close);
    const { d, store } = dispatcher({ webhooks: [{ url: receiver.url, secret: SECRET }], maxAttempts: 3 });
    await d.dispatch(request());
    await d.settle();
    const log = await store.deliveries('rb_0123');
    expect(log.map((a) => a.outcome)).toEqual(['retry', 'retry', 'failed']);
    expect(log[2]!.detail).toMatch(/gave up after 3 attempts/);
  });

  it('retries a receiver that is down (connection refused)', async () => {
    const receiver = await startWebhookReceiver(SECRET);
    await receiver.close();
    const { d, store } = dispatcher({ webhooks: [{ url: receiver.url, secret: SECRET }], maxAttempts: 2 });
    await d.dispatch(request());
    await d.settle();
    const log = await store.deliveries('rb_0123');
    expect(log.map((a) => a.outcome)).toEqual(['retry', 'failed']);
    expect(log[0]!.detail).toMatch(/ECONNREFUSED/);
  });

  it('sends to every sink; a failing sink is retried on its own', async () => {
    let calls = 0;
    const flaky: RollbackSink = { target: 'kafka:rollbacks', send: async () => { if (++calls === 1) throw new Error('broker not available'); } };
    const seen: RollbackRequest[] = [];
    const sub: RollbackSink = { target: 'subscription', send: async (r) => void seen.push(r) };
    const { d, store } = dispatcher({ sinks: [flaky, sub] });
    await d.dispatch(request());
    await d.settle();
    expect(seen).toHaveLength(1);
    const log = (await store.deliveries('rb_0123')).map((a) => `${a.target} ${a.attempt} ${a.outcome}`).sort();
    expect(log).toEqual(['kafka:rollbacks 1 retry', 'kafka:rollbacks 2 delivered', 'subscription 1 delivered']);
  });

  it('in dry-run mode records what it would have sent and sends nothing', async () => {
    const receiver = await startWebhookReceiver(SECRET);
    closers.push(receiver.close);
    const sent: RollbackRequest[] = [];
    const { d, store } = dispatcher({ webhooks: [{ url: receiver.url, secret: SECRET }], sinks: [{ target: 'kafka:rollbacks', send: async (r) => void sent.push(r) }] });
    await d.dispatch(request({ dryRun: true }));
    await d.settle();
    expect(receiver.received).toHaveLength(0);
    expect(sent).toHaveLength(0);
    expect((await store.get('rb_0123'))!.state).toBe('dry_run');
    const log = await store.deliveries('rb_0123');
    expect(log.map((a) => [a.target, a.outcome])).toEqual([['kafka:rollbacks', 'dry_run'], [receiver.url.replace('?token=abc', ''), 'dry_run']]);
    expect(log[1]!.detail).toMatch(/dry run: would have sent \d+ bytes \(POST, signed, webhook-id rb_0123\)/);
  });

  it('resumes a pending request after a restart from the attempt after the last logged one', async () => {
    const receiver = await startWebhookReceiver(SECRET);
    closers.push(receiver.close);
    const store = new InMemoryRollbackStore();
    await store.create(request(), 0);
    await store.appendDelivery({ requestId: 'rb_0123', target: targetOf(receiver.url), attempt: 1, atMs: 1, outcome: 'retry', statusCode: 503, detail: 'HTTP 503', durationMs: 3, nextAttemptAtMs: 2 });
    const { d } = dispatcher({ store, webhooks: [{ url: receiver.url, secret: SECRET }] });
    expect(await d.resume()).toBe(1);
    await d.settle();
    expect(receiver.received).toHaveLength(1);
    expect((await store.deliveries('rb_0123')).map((a) => [a.attempt, a.outcome])).toEqual([[1, 'retry'], [2, 'delivered']]);
  });
});

describe('webhook signatures (Standard Webhooks)', () => {
  it('signs id.timestamp.body with HMAC-SHA256, base64, and verifies in constant time', () => {
    // reference: `printf 'msg_1.1700000000.{"a":1}' | openssl dgst -sha256 -hmac plain-secret -binary | base64`
    expect(signWebhook('plain-secret', 'msg_1', 1_700_000_000, '{"a":1}')).toBe('v1,PQ8G/5vQE995TQFlpC2YXRDs2RbuscvSWFk9pfKhuhc=');
    const sig = signWebhook(SECRET, 'msg_1', 1_700_000_000, '{"a":1}');
    const headers = { id: 'msg_1', timestamp: '1700000000', signature: `v1,bm90IGl0 ${sig}` };
    expect(verifyWebhookSignature(SECRET, headers, '{"a":1}', 1_700_000_010)).toBe(true);
    expect(verifyWebhookSignature(SECRET, headers, '{"a":2}', 1_700_000_010)).toBe(false);
    expect(verifyWebhookSignature('whsec_b3RoZXI=', headers, '{"a":1}', 1_700_000_010)).toBe(false);
    // too old: a replay
    expect(verifyWebhookSignature(SECRET, headers, '{"a":1}', 1_700_001_000)).toBe(false);
  });

  it.each([[200, 'delivered'], [204, 'delivered'], [301, 'failed'], [400, 'failed'], [408, 'retry'], [429, 'retry'], [500, 'retry'], [503, 'retry']])(
    'HTTP %d is %s', (status, outcome) => expect(classifyResponse(status)).toBe(outcome));
});
