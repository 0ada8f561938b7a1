import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs } from '../../../../engine/core/time/duration.ts';

describe('durations', () => {
  const parsed: { name: string; text: string; ms: number | undefined }[] = [
    { name: 'parses minutes', text: '5m', ms: 300_000 },
    { name: 'parses hours', text: '1h', ms: 3_600_000 },
    { name: 'parses days', text: '28d', ms: 2_419_200_000 },
    { name: 'parses weeks', text: '2w', ms: 1_209_600_000 },
    { name: 'parses milliseconds', text: '250ms', ms: 250 },
    { name: 'rejects zero', text: '0m', ms: undefined },
    { name: 'rejects a missing unit', text: '30', ms: undefined },
    { name: 'rejects fractions', text: '1.5h', ms: undefined },
    { name: 'rejects compound durations', text: '1h30m', ms: undefined },
    { name: 'rejects months, which are calendar windows', text: '1M', ms: undefined },
  ];
  it.each(parsed)('$name', ({ text, ms }) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  const formatted: { name: string; ms: number; text: string }[] = [
    { name: 'formats whole hours as h', ms: 3_600_000, text: '1h' },
    { name: 'formats whole days as d', ms: 259_200_000, text: '3d' },
    { name: 'formats 90 s as seconds', ms: 90_000, text: '90s' },
    { name: 'formats odd values as ms', ms: 1_234, text: '1234ms' },
  ];
  it.each(formatted)('$name', ({ ms, text }) => {
    expect(formatDurationMs(ms)).toBe(text);
  });

  it('formats whole weeks as weeks, or as days when asked (SLO windows read 28d)', () => {
    expect(formatDurationMs(28 * 86_400_000)).toBe('4w');
    expect(formatDurationMs(28 * 86_400_000, { weeks: false })).toBe('28d');
  });
});
