const KINDS = ['userId', 'email', 'phoneNumber', 'twitter', 'x'] as const;

export type ParsedLocator = { ok: true; locator: string; kind: string; value: string } | { ok: false };

/** Accepts a path segment raw (`userId:abc`) or percent-encoded (`userId%3Aabc`). */
export function parseLocator(segment: string): ParsedLocator {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return { ok: false };
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) return { ok: false };
  const kind = decoded.slice(0, colon);
  if (!(KINDS as readonly string[]).includes(kind)) return { ok: false };
  return { ok: true, locator: decoded, kind, value: decoded.slice(colon + 1) };
}

export const LOCATOR_MESSAGE = `user locator must be one of ${KINDS.map((k) => `${k}:<value>`).join(', ')}`;
