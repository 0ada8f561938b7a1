import { apiError } from './api-error.ts';

/** A filter made of lists: each given list must contain the item's value (any of them); absent or null = any. */
export type ListFilter<K extends string> = Partial<Record<K, readonly string[] | null | undefined>>;

/**
 * A list filter checked: an empty list matches nothing and is refused, as is a value
 * outside `allowed` (for the fields that have a fixed set) — BAD_USER_INPUT naming the
 * argument, with `prefix` when the lists sit inside an input object (e.g. `filter.`).
 */
export function checkListFilter<K extends string>(filter: ListFilter<K>, allowed: Partial<Record<K, readonly string[]>>, prefix = ''): ListFilter<K> {
  for (const [key, values] of Object.entries(filter) as [K, readonly string[] | null | undefined][]) {
    if (values === null || values === undefined) continue;
    const name = `${prefix}${key}`;
    if (values.length === 0) throw apiError('BAD_USER_INPUT', `${name} is an empty list, which matches nothing: leave it out to match any`, { argument: name });
    const set = allowed[key];
    const bad = set ? values.find((v) => !set.includes(v)) : undefined;
    if (bad !== undefined) throw apiError('BAD_USER_INPUT', `${name} must be among ${set!.join(', ')}; got ${JSON.stringify(bad)}`, { argument: name });
  }
  return filter;
}

/** Whether `value` passes one list of a filter (an unknown value passes only an absent list). */
export function inList(list: readonly string[] | null | undefined, value: string | null | undefined): boolean {
  return !list || (value !== null && value !== undefined && list.includes(value));
}
