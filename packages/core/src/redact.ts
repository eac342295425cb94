/** Values under these keys are enumerations, not personal data: keeping them makes messages readable. */
const NOT_SECRET_KEYS = new Set(['type', 'documentType', 'region']);
/** Shorter values ("US", "FL") are too common to redact without mangling every message. */
const MIN_SECRET_CHARS = 3;
/** Longer values (document images) cannot fit in the part of a message we keep. */
const MAX_SECRET_CHARS = 1200;

/** Every string in a request body that could be personal data. */
export function secretsOf(body: unknown, into: string[] = []): string[] {
  if (typeof body === 'string') {
    if (body.length >= MIN_SECRET_CHARS && body.length <= MAX_SECRET_CHARS) {
      into.push(body);
      // "987-65-4320" may come back as "987654320".
      const compact = body.replace(/[\s\-./()]/g, '');
      if (compact !== body && compact.length >= 6) into.push(compact);
    }
  } else if (Array.isArray(body)) {
    for (const item of body) secretsOf(item, into);
  } else if (body !== null && typeof body === 'object') {
    for (const [key, value] of Object.entries(body)) {
      if (!NOT_SECRET_KEYS.has(key)) secretsOf(value, into);
    }
  }
  return into;
}

const ESCAPE = /[.*+?^${}()|[\]\\]/g;

/**
 * Shapes of personal data that may not be in the request at hand (Crossmint could quote the stored
 * record in an answer to a document upload): email addresses, API keys, and runs of 6 or more
 * digits (identity numbers, phone numbers, dates of birth).
 */
const PATTERNS = [
  /[^\s"'<>@,;:()[\]]+@[^\s"'<>@,;:()[\]]+\.[a-z]{2,}/gi,
  /\b[sc]k_[A-Za-z0-9_]+/g,
  /\+?\d(?:[\s\-./]?\d){5,}/g,
];

/**
 * Replaces each secret (case-insensitively, longest first) and each personal-data shape with
 * `[redacted]`.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length === 0) continue;
    out = out.replace(new RegExp(secret.replace(ESCAPE, '\\$&'), 'gi'), '[redacted]');
  }
  for (const pattern of PATTERNS) out = out.replace(pattern, '[redacted]');
  return out;
}

/** Collapses whitespace and control characters and cuts to `max` characters. */
export function clip(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/**
 * `text` without any value of the user's own record: a message from Crossmint can quote what it
 * stored of the user (a refused trigger naming the user and their address), even for a call that
 * sent no body, so the record is the list of what must not be kept.
 */
export function redactRecordValues(text: string, record: { userId: string } | undefined): string {
  if (record === undefined) return redact(text, []);
  // The user id names the user everywhere (paths, status, the journal): it is not the user's data.
  const { userId: _, ...personal } = record;
  return redact(text, secretsOf(personal));
}
