import type { AddressInfo } from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLOW_SUBSCRIBER_CLOSE_CODE } from '../../../api/subscriptions/subscriber-queue.ts';
import { startHttpServer } from '../../../api/http/http-server.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { StaticSloDirectory } from '../../../engine/adapters/slo-definition-directory.ts';
import { entry, startStatusApi, transition, type StatusApi } from '../graphql/status-harness.ts';
import { openRawWebSocket, type RawWebSocket } from '../support/raw-websocket.ts';

/**
 * The slow-subscriber rule over real WebSockets: the whole API on a loopback port, one
 * graphql-ws client that reads, one raw client that stops reading. The stalled subscriber's
 * bounded queue overflows and its connection is closed with 4008; the engine's publishing
 * never waits, and the reading subscriber gets every event, in order.
 */
describe('a deliberately stalled WebSocket subscriber', () => {
  const QUEUE = 50;
  let api: StatusApi;
  let wsUrl: string;
  let closeAll: () => Promise<void>;
  let fast: Client;
  let stalled: RawWebSocket;

  beforeAll(async () => {
    api = await startStatusApi({ subscriptionQueue: QUEUE, directory: new StaticSloDirectory([entry('checkout-availability', { team: 'payments' })]) });
    const http = await startHttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), routes: api.api.routes });
    const closeSubscriptions = api.api.attachSubscriptions(http.server);
    wsUrl = `ws://127.0.0.1:${(http.server.address() as AddressInfo).port}/graphql`;
    closeAll = async () => {
      await fast?.dispose();
      stalled?.destroy();
      await closeSubscriptions();
      await http.close();
      await api.close();
    };
  });
  afterAll(async () => closeAll());

  const subscriptions = async () =>
    ((await api.run('{ health { subscriptions { available subscribers queueCapacity transitions delivered slowSubscribersDisconnected droppedEvents } } }', await api.caller('viewer'))).data!.health as { subscriptions: Record<string, number | boolean> }).subscriptions;

  it('is disconnected with close code 4008 while the engine and the reading subscriber go on', async () => {
    const token = await api.secret('viewer');
    // the reading subscriber (graphql-ws, as a dashboard would)
    fast = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    const received: string[] = [];
    fast.subscribe<{ breaches: { transition: { id: string }; team: string; severity: string } }>(
      { query: 'subscription { breaches(team: ["payments"], severity: ["page"]) { transition { id } team severity } }' },
      { next: (m) => void received.push(m.data!.breaches.transition.id), error: () => undefined, complete: () => undefined },
    );
    // the stalled one: speaks graphql-transport-ws by hand, then stops reading
    stalled = await openRawWebSocket(wsUrl, 'graphql-transport-ws');
    stalled.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await stalled.waitFor((m) => m.includes('connection_ack'));
    stalled.send(JSON.stringify({ id: 's1', type: 'subscribe', payload: { query: 'subscription { sloStateChanges { transition { id reason } } }' } }));
    for (let i = 0; i < 100 && (await subscriptions()).subscribers !== 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await subscriptions()).toMatchObject({ available: true, subscribers: 2, queueCapacity: QUEUE });

    // both hear the first event, then the raw client stops reading
    const reason = 'x'.repeat(2_000); // 2 kB a message fills the socket buffers sooner
    const at0 = 1_700_000_000_000;
    await new Promise((r) => setTimeout(r, 50)); // the graphql-ws client's subscribe is in
    api.pubsub.publish('breachTransition', { ...transition('checkout-availability', 'BREACHED', { atMs: at0, rule: 'page-1h-5m' }), reason });
    await stalled.waitFor((m) => m.includes('"next"'));
    stalled.pause();
    for (let i = 0; i < 200 && received.length < 1; i++) await new Promise((r) => setTimeout(r, 10));

    // the engine publishes on in passes of BURST transitions (as a judge does), each publish
    // returning at once; between passes the reading subscriber catches up, the stalled one cannot
    const BURST = 20;
    let published = 1;
    let slowestPublishMs = 0;
    const caughtUp = async () => {
      for (let i = 0; i < 2_000 && received.length < published; i++) await new Promise((r) => setTimeout(r, 1));
      return received.length === published;
    };
    while ((await subscriptions()).slowSubscribersDisconnected === 0) {
      if (published > 50_000) throw new Error('the stalled subscriber was never disconnected');
      for (let i = 0; i < BURST; i++, published++) {
        const started = performance.now();
        api.pubsub.publish('breachTransition', { ...transition('checkout-availability', 'BREACHED', { atMs: at0 + published * 60_000, from: 'WARNING', rule: 'page-1h-5m' }), reason });
        slowestPublishMs = Math.max(slowestPublishMs, performance.now() - started);
      }
      expect(await caughtUp()).toBe(true);
    }
    expect(slowestPublishMs).toBeLessThan(50);
    // the stalled subscription left the hub (its queue dropped); the reading one stays
    const after = await subscriptions();
    expect(after).toMatchObject({ subscribers: 1, slowSubscribersDisconnected: 1, transitions: published });
    // the stalled one's queue was full when the event that did not fit came: all of it dropped, counted
    expect(after.droppedEvents).toBe(QUEUE + 1);
    // the reading subscriber got every event, in order
    expect(received.map((id) => Number(id.split('|')[3]))).toEqual(Array.from({ length: published }, (_, i) => at0 + i * 60_000));

    // the stalled client, reading again, finds what was in flight and then the close frame
    stalled.resume();
    await stalled.ended;
    expect(stalled.closeFrame).toEqual({ code: SLOW_SUBSCRIBER_CLOSE_CODE, reason: expect.stringMatching(/^subscriber too slow/) });
    expect(stalled.messages.length).toBeLessThan(published);

    // publishing goes on for the one left
    api.pubsub.publish('breachTransition', transition('checkout-availability', 'BREACHED', { atMs: at0 - 60_000, from: 'OK', rule: 'page-1h-5m' }));
    for (let i = 0; i < 200 && received.length <= published; i++) await new Promise((r) => setTimeout(r, 10));
    expect(received.length).toBe(published + 1);
  }, 60_000);
});
