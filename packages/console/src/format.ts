/** Numbers, times and durations as an operator reads them. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export const count = (n: number): string => integer.format(n);
export const rate = (n: number): string => decimal.format(n);

/** 45 s, 12 min, 3.5 h, 2.1 d. */
export function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${decimal.format(s / 3600)} h`;
  return `${decimal.format(s / 86_400)} d`;
}

export const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

/** `2026-01-01T10:00:00.000Z (3 min ago)`; `-` for none. */
export function ago(at: number | null, now: number): string {
  if (at === null) return '-';
  return `${iso(at)} (${duration(Math.max(0, now - at))} ago)`;
}
