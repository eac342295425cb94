/** FNV-1a of the user id: a stable per-user jitter seed, so a restarted engine computes the same waits. */
export function seedFor(userId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
