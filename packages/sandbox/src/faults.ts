export const FAULT_KINDS = ['429', '500', '503', 'hang', 'reset', 'lost-response'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FAULT_HEADER = 'x-sandbox-fault';

export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

/**
 * The fault for one request: the header wins (tests force exact cases); otherwise one draw against
 * faultRate, and a second draw picks uniformly among the enabled kinds.
 */
export function pickFault(
  random: () => number,
  faultRate: number,
  enabled: readonly FaultKind[],
): FaultKind | undefined {
  if (faultRate <= 0 || enabled.length === 0) return undefined;
  if (random() >= faultRate) return undefined;
  return enabled[Math.floor(random() * enabled.length)];
}
