/**
 * Long work on the JavaScript thread (decoding a large NDJSON body, taking thousands of
 * events into the pipeline) runs in slices of a few milliseconds and calls `yieldTurn()`
 * between them. The slices of all such work share the event loop **one slice per turn**,
 * first come first served: each turn of the loop polls I/O (a gate request, a query) and
 * then resumes a single waiting slice. With a `setImmediate` per slicer instead, five
 * concurrent requests ran five slices back to back in every turn, and a gate arriving then
 * waited for all of them at each of its I/O steps.
 */

const waiting: (() => void)[] = [];
let scheduled = false;

/** Resolves on a later turn of the event loop, after I/O was polled; waiters resume one per turn, in the order they yielded. */
export function yieldTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!scheduled) scheduleNext();
  });
}

/** Slices waiting for their turn now. */
export function slicesWaiting(): number {
  return waiting.length;
}

function scheduleNext(): void {
  scheduled = true;
  // an immediate queued from an immediate runs in the next turn, after the poll phase
  setImmediate(() => {
    scheduled = false;
    waiting.shift()?.();
    if (waiting.length > 0) scheduleNext();
  });
}
