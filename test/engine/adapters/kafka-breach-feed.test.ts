import { describe, expect, it } from 'vitest';
import { decodeBreachMessage, RecentIds } from '../../../engine/adapters/kafka-breach-feed.ts';
import { transition } from '../../api/graphql/status-harness.ts';

describe('reading the breach topic back', () => {
  it('decodes what KafkaBreachPublisher writes (the whole PublishedTransition as JSON)', () => {
    const t = { ...transition('checkout-availability', 'BREACHED', { rule: 'page-1h-5m' }), windows: [{ rule: 'page-1h-5m', window: '1h', burnRate: 20 }] };
    expect(decodeBreachMessage(Buffer.from(JSON.stringify(t)))).toEqual(t);
  });

  it.each([
    ['an empty message', null],
    ['text that is not JSON', Buffer.from('{not json')],
    ['an unknown status', Buffer.from(JSON.stringify({ ...transition('a', 'BREACHED'), to: 'ON_FIRE' }))],
    ['no basis', Buffer.from(JSON.stringify({ ...transition('a', 'BREACHED'), basis: undefined }))],
    ['no transition id', Buffer.from(JSON.stringify({ ...transition('a', 'BREACHED'), transitionId: '' }))],
  ])('skips %s', (_what, value) => {
    expect(decodeBreachMessage(value)).toBeUndefined();
  });

  it('drops a copy re-published under the same id, remembering the last ids only', () => {
    const ids = new RecentIds(2);
    expect(['a', 'a', 'b', 'c', 'b', 'a'].map((id) => ids.firstTime(id))).toEqual([true, false, true, true, false, true]);
  });
});
