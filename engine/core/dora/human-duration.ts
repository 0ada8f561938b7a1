/** A duration in ms as people read it in explanations: `45 s`, `12 min`, `3.5 h`, `6.9 d`. */
export function humanDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= 86_400_000) return `${trim(ms / 86_400_000)} d`;
  if (abs >= 3_600_000) return `${trim(ms / 3_600_000)} h`;
  if (abs >= 60_000) return `${trim(ms / 60_000)} min`;
  return `${trim(ms / 1_000)} s`;
}

function trim(value: number): string {
  return value.toFixed(1).replace(/\.0$/, '');
}
