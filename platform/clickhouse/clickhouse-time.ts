/**
 * Epoch ms → ClickHouse DateTime64(3) text in UTC (`2026-11-26 03:37:49.123`), the form
 * every ClickHouse version parses in JSONEachRow whatever `date_time_input_format` is.
 */
export function toDateTime64(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** ClickHouse DateTime64 text (UTC, as returned in JSON formats) → epoch ms. */
export function fromDateTime64(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}
