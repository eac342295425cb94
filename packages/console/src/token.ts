import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh action token: 24 random bytes, URL-safe, so it can sit in the printed `?token=` link. */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether `given` is the token, in constant time. Both sides are hashed first so that neither the
 * comparison nor an early length mismatch tells an attacker how much of a guess was right.
 */
export function sameToken(token: string, given: string | undefined | null): boolean {
  if (given === undefined || given === null || given === '') return false;
  return timingSafeEqual(digest(token), digest(given));
}

/**
 * The name of the cookie that remembers the token in the operator's browser. Cookies ignore the
 * port, so two consoles on one machine would overwrite each other's under a fixed name: the name
 * carries a hash of the token instead (which reveals nothing of it).
 */
export function tokenCookieName(token: string): string {
  return `kyc_console_${digest(token).toString('hex').slice(0, 12)}`;
}
