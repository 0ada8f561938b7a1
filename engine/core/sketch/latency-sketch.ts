
/**
 * Latency sketch after DDSketch: Charles Masson, Jee E. Rim, Homin K. Lee, "DDSketch: A
 * Fast and Fully-Mergeable Quantile Sketch with Relative-Error Guarantees", PVLDB 12(12),
 * VLDB 2019 (https://www.vldb.org/pvldb/vol12/p2195-masson.pdf).
 *
 * The maths, step by step:
 * 1. Fix the relative accuracy α (here 0.005) and γ = (1 + α) / (1 − α).
 * 2. A value x > 0 goes to bucket i = ⌈log_γ(x)⌉, i.e. the bucket covering (γ^(i−1), γ^i].
 * 3. A bucket answers with x̂ = 2·γ^i / (γ + 1). For every x in (γ^(i−1), γ^i],
 *    |x̂ − x| / x ≤ (γ − 1)/(γ + 1) = α (paper, Lemma 2 / Proposition 3).
 * 4. The q-quantile is the value of rank ⌊q·(n − 1)⌋ (0-based) in sorted order; walking the
 *    buckets in index order until the running count exceeds q·(n − 1) lands in the bucket
 *    that holds that value, so the answer is within α of the exact quantile.
 * 5. Merging two sketches with the same α adds counts per index: exact, associative,
 *    commutative (paper, §2.3 "fully mergeable") — minute buckets roll up into hours and
 *    windows without loss of the guarantee.
 *
 * With α = 0.005 every quantile answer is within 0.5 % of the exact value — comfortably
 * within the 1 % promised for p99. Values below MIN_INDEXABLE_MS (including 0) are
 * counted in a zero bucket that answers 0 (absolute error < 1 ns).
 * Negative values (impossible for durations) are rejected.
 *
 * Invalid arguments throw RangeError: they are caller bugs, and engine/core imports nothing
 * from platform/ (eslint.config.js), so the edge that owns the input wraps them in a
 * SluiceError with its code.
 */

/** Relative accuracy α of every sketch, ratio 0–1: quantile answers are within ±0.5 %. */
export const RELATIVE_ACCURACY = 0.005;

/** Smallest value in ms kept in a log bucket (1 ns); smaller values go to the zero bucket. */
export const MIN_INDEXABLE_MS = 1e-6;

/**
 * Index under which the zero bucket is serialised (Int32 minimum), so all buckets fit a
 * ClickHouse `Map(Int32, UInt64)` or two arrays `Array(Int32)`, `Array(UInt64)`.
 */
export const ZERO_BUCKET_INDEX = -2_147_483_648;

const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);

/** One serialised bucket: the bucket index and how many values fell into it. */
export interface SketchBucket {
  /** Bucket index: ⌈log_γ(valueMs)⌉, or ZERO_BUCKET_INDEX for values below MIN_INDEXABLE_MS. */
  index: number;
  /** Number of values (a non-negative integer). */
  count: number;
}

/** Bucket index of a value in ms (> 0 and ≥ MIN_INDEXABLE_MS). */
export function bucketIndexOf(valueMs: number): number {
  return valueMs < MIN_INDEXABLE_MS ? ZERO_BUCKET_INDEX : Math.ceil(Math.log(valueMs) / LN_GAMMA);
}

/** Representative value in ms of a bucket: 2·γ^i/(γ+1), within α of every value in it. */
export function bucketValueMs(index: number): number {
  return index === ZERO_BUCKET_INDEX ? 0 : (2 * Math.exp(index * LN_GAMMA)) / (GAMMA + 1);
}

/** Mergeable quantile sketch of latencies in ms with relative accuracy RELATIVE_ACCURACY. */
export class LatencySketch {
  private readonly counts = new Map<number, number>();
  private total = 0;

  /** Sketch rebuilt from serialised buckets (e.g. a ClickHouse row); counts are added. */
  static fromBuckets(buckets: readonly SketchBucket[]): LatencySketch {
    const sketch = new LatencySketch();
    for (const { index, count } of buckets) {
      if (!Number.isInteger(index) || !Number.isSafeInteger(count) || count < 0) {
        throw new RangeError(`bucket {index: ${index}, count: ${count}} is not integral`);
      }
      sketch.addToBucket(index, count);
    }
    return sketch;
  }

  /** Number of values recorded. */
  get count(): number {
    return this.total;
  }

  /** Records `count` occurrences (default 1) of a latency in ms (finite, ≥ 0). */
  add(valueMs: number, count = 1): this {
    if (!Number.isFinite(valueMs) || valueMs < 0) {
      throw new RangeError(`latency must be a finite number of ms >= 0, got ${valueMs}`);
    }
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`count must be a non-negative integer, got ${count}`);
    }
    this.addToBucket(bucketIndexOf(valueMs), count);
    return this;
  }

  /** Adds every count of `other` into this sketch (exact; both use the same α). */
  merge(other: LatencySketch): this {
    for (const [index, count] of other.counts) this.addToBucket(index, count);
    return this;
  }

  /** A copy that can be changed without touching this one. */
  clone(): LatencySketch {
    return new LatencySketch().merge(this);
  }

  /**
   * Value in ms at quantile q (0–1), within ±RELATIVE_ACCURACY of the exact value of rank
   * ⌊q·(n−1)⌋; undefined when the sketch is empty.
   */
  quantile(q: number): number | undefined {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within 0–1, got ${q}`);
    if (this.total === 0) return undefined;
    const rank = q * (this.total - 1);
    let seen = 0;
    for (const index of this.sortedIndexes()) {
      seen += this.counts.get(index)!;
      if (seen > rank) return bucketValueMs(index);
    }
    return bucketValueMs(this.sortedIndexes().at(-1)!);
  }

  /** Buckets in ascending index order (zero bucket first), empty buckets left out. */
  toBuckets(): SketchBucket[] {
    return this.sortedIndexes().map((index) => ({ index, count: this.counts.get(index)! }));
  }

  private sortedIndexes(): number[] {
    return [...this.counts.keys()].sort((a, b) => a - b);
  }

  private addToBucket(index: number, count: number): void {
    if (count === 0) return;
    this.counts.set(index, (this.counts.get(index) ?? 0) + count);
    this.total += count;
  }
}
