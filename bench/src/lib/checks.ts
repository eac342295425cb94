import { locatorOf, userIdOf } from './records.js';
import type { SandboxProcess } from './sandbox.js';

export interface EndChecks {
  users: number;
  /** Users the sandbox never saw. */
  missing: number;
  /** Users with an endpoint that received two different bodies (must be 0). */
  conflicting: number;
  /** Writes beyond the first of each endpoint: repeats of an identical body (retries, crashes). */
  repeatedWrites: number;
}

/**
 * Asks the sandbox (admin API) about every user: was it seen, did any endpoint get a second,
 * different body, how many identical writes were repeated.
 */
export async function sandboxChecks(
  sandbox: SandboxProcess,
  apiKey: string,
  prefix: string,
  users: number,
): Promise<EndChecks> {
  let missing = 0;
  let conflicting = 0;
  let repeatedWrites = 0;
  const ids = Array.from({ length: users }, (_, i) => i);
  const inFlight = 16;
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < ids.length) {
        const i = next++;
        const user = await sandbox.user(apiKey, locatorOf(userIdOf(prefix, i)));
        if (user === undefined) {
          missing++;
          continue;
        }
        if (Object.values(user.bodyHashes).some((h) => h.length > 1)) conflicting++;
        for (const n of Object.values(user.writes)) repeatedWrites += Math.max(0, n - 1);
      }
    }),
  );
  return { users, missing, conflicting, repeatedWrites };
}

/** Terminal = verified or rejected. */
export function terminalOf(counts: Record<string, number>): number {
  return (counts.verified ?? 0) + (counts.rejected ?? 0);
}
