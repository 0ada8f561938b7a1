/**
 * What every input is held to before its fields are validated, so that no value can make
 * validation or storage fail in a way the contract does not name:
 *
 * - **nesting**: a value nests at most {@link MAX_NESTING_DEPTH} levels. Deeper values are
 *   not walked further and not stored (`too_deep`). Recursive code (`JSON.stringify`,
 *   protobuf decoding) overflows the stack on a few thousand levels; 64 is far beyond any
 *   real attribute value and far below that.
 * - **text**: every string and object key is well-formed Unicode (no lone surrogates), so
 *   it can be stored as UTF-8 (`invalid_utf8`).
 *
 * The walk recurses once per level, never deeper than MAX_STRUCTURE_DEPTH calls: it stops at
 * the first container past the limits, so an input nested a million levels deep is fine.
 */

/** Deepest nesting of an attribute value, in levels (`[[1]]` is 2; an OTLP AnyValue counts its arrayValue/kvlistValue levels). */
export const MAX_NESTING_DEPTH = 64;

/**
 * Deepest nesting of any structure below the checked value, in JSON levels, whatever counts
 * as a level: bounds the work of re-encoding an OTLP item as JSON for its dead-letter `raw`
 * (64 AnyValue levels take about 4 JSON levels each).
 */
export const MAX_STRUCTURE_DEPTH = 1_024;

/** Why an input breaks the limits; the reasons are dead-letter reasons of ingest. */
export interface InputLimitBreach {
  reason: 'too_deep' | 'invalid_utf8';
  /** Where: for `too_deep` the field (or OTLP attribute value) whose value nests too deep; for `invalid_utf8` the string. */
  path: (string | number)[];
  message: string;
}

export interface InputLimitOptions {
  /** Whether a container reached through `key` is one level of {@link MAX_NESTING_DEPTH}; default: every array and object. */
  countsAsLevel?: (key: string | number) => boolean;
}

/** The first breach of the limits in `root`'s fields (the root container itself is not a level), or undefined. */
export function findInputLimitBreach(root: unknown, options: InputLimitOptions = {}): InputLimitBreach | undefined {
  if (root === null || typeof root !== 'object') return undefined;
  const walk = new LimitWalk(options.countsAsLevel ?? (() => true));
  return walk.children(root, 0, 0, -1);
}

/** One walk: `path` holds the keys down to the container being visited (pushed and popped, copied only for a breach). */
class LimitWalk {
  readonly path: (string | number)[] = [];
  readonly countsAsLevel: (key: string | number) => boolean;

  constructor(countsAsLevel: (key: string | number) => boolean) {
    this.countsAsLevel = countsAsLevel;
  }

  /**
   * Visits the children of `container`, which sits `structure` containers below the root,
   * `levels` of them counted; `nestStart` is the path length of the outermost counted
   * container on the way down (-1: none yet). One call per level: the stack it uses is
   * bounded by MAX_STRUCTURE_DEPTH.
   */
  children(container: object, levels: number, structure: number, nestStart: number): InputLimitBreach | undefined {
    const isArray = Array.isArray(container);
    const keys = isArray ? undefined : Object.keys(container);
    const length = isArray ? container.length : keys!.length;
    for (let i = 0; i < length; i++) {
      const key: string | number = isArray ? i : keys![i]!;
      if (typeof key === 'string' && !key.isWellFormed()) return illFormed([...this.path, key], key, 'key');
      const value: unknown = (container as Record<string | number, unknown>)[key];
      if (typeof value === 'string') {
        if (!value.isWellFormed()) return illFormed([...this.path, key], value, 'text');
        continue;
      }
      if (value === null || typeof value !== 'object') continue;
      this.path.push(key);
      const counted = this.countsAsLevel(key);
      const childLevels = levels + (counted ? 1 : 0);
      const start = nestStart >= 0 || !counted ? nestStart : this.path.length;
      if (childLevels > MAX_NESTING_DEPTH) {
        return { reason: 'too_deep', path: this.path.slice(0, start), message: `nests deeper than ${MAX_NESTING_DEPTH} levels` };
      }
      if (structure + 1 > MAX_STRUCTURE_DEPTH) {
        return { reason: 'too_deep', path: this.path.slice(0, 1), message: `nests deeper than ${MAX_STRUCTURE_DEPTH} levels` };
      }
      const breach = this.children(value, childLevels, structure + 1, start);
      if (breach !== undefined) return breach;
      this.path.pop();
    }
    return undefined;
  }
}

function illFormed(path: (string | number)[], text: string, what: 'key' | 'text'): InputLimitBreach {
  const at = loneSurrogateIndex(text);
  const hex = text.charCodeAt(at).toString(16).toUpperCase();
  return { reason: 'invalid_utf8', path, message: `${what} is not valid UTF-8 (lone surrogate U+${hex} at character ${at})` };
}

/** Index (UTF-16 code units) of the first surrogate that is not half of a pair. */
function loneSurrogateIndex(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    else return i;
  }
  return -1;
}
