import { describe, expect, it } from 'vitest';
import { slicesWaiting, yieldTurn } from '../../../platform/event-loop/yield-turn.ts';

describe('yieldTurn', () => {
  it('resumes one waiting slice per turn of the event loop, first come first served', async () => {
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const log: { slicer: string; turn: number }[] = [];
    const slicer = async (name: string) => {
      for (let slice = 0; slice < 3; slice++) {
        log.push({ slicer: name, turn: turns });
        await yieldTurn();
      }
    };
    await Promise.all(['a', 'b', 'c'].map(slicer));
    ticking = false;
    expect(log.map((l) => l.slicer).join('')).toBe('abcabcabc'); // round robin: none starves
    const resumed = log.slice(3).map((l) => l.turn);
    for (let i = 1; i < resumed.length; i++) expect(resumed[i]!).toBeGreaterThan(resumed[i - 1]!); // never two in one turn
    expect(slicesWaiting()).toBe(0);
  });

  it('lets I/O that completes meanwhile run before the next slice', async () => {
    const order: string[] = [];
    const { request, createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      order.push('request served');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const answered = new Promise<void>((resolve) => request({ port, host: '127.0.0.1' }, (res) => res.resume().on('end', resolve)).end());
    // busy slices, each ~2 ms, until the request has been served
    let slices = 0;
    while (!order.includes('request served') && slices < 5_000) {
      const until = performance.now() + 2;
      while (performance.now() < until) { /* a slice of work */ }
      slices++;
      await yieldTurn();
    }
    await answered;
    server.close();
    expect(order).toEqual(['request served']);
    expect(slices).toBeLessThan(5_000);
  });
});
