import type { OnboardingStore } from '@kyc-handoff/core';
import type { Handoff } from '@kyc-handoff/engine';
import type { SourceItem } from './input/source.js';
import type { RefusedRecord, Reporter } from './report.js';

export interface SupplyCounts {
  /** Records read (non-blank lines / rows). */
  lines: number;
  applied: number;
  /** Unreadable lines, lines without a user id, unknown users, data the engine refused. */
  refused: number;
  /** The user's onboarding exists but is not waiting for data (already supplied, verified, …). */
  notWaiting: number;
}

/** Lines being applied at once: document checks read files, so a few overlap. */
const IN_FLIGHT = 16;

type Outcome = { applied: true } | { applied: false; refused: RefusedRecord };

const asObject = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

async function applyOne(handoff: Handoff, store: OnboardingStore, item: SourceItem): Promise<Outcome> {
  if (!('value' in item)) {
    return {
      applied: false,
      refused: { line: item.line, userId: item.userId, status: 'invalid', issues: item.issues },
    };
  }
  const { userId, ...data } = asObject(item.value) ?? {};
  if (typeof userId !== 'string' || userId.trim() === '') {
    return {
      applied: false,
      refused: {
        line: item.line,
        status: 'invalid',
        issues: [{ field: 'userId', reason: 'is required: the user whose onboarding waits for this data' }],
      },
    };
  }
  const row = await store.get(userId);
  if (row === undefined) {
    return {
      applied: false,
      refused: {
        line: item.line,
        userId,
        status: 'refused',
        reason: 'no onboarding for this user in the store',
      },
    };
  }
  if (row.state !== 'requiresData') {
    return {
      applied: false,
      refused: {
        line: item.line,
        userId,
        status: 'not-waiting',
        reason: `is ${row.state}, not requiresData`,
      },
    };
  }
  const result = await handoff.supplyData(userId, data);
  if (result.ok) return { applied: true };
  return { applied: false, refused: { line: item.line, userId, status: 'refused', reason: result.reason } };
}

/**
 * Applies each line's supplied data as `supply USER_ID FILE.json` would, a few at once (one user's
 * lines in file order), and reports every line not applied in line order: refusals (line, user,
 * reason, never a value) and users not waiting for data. Reads the next line only when there is
 * room, so memory stays flat.
 */
export async function supplyAll(
  handoff: Handoff,
  store: OnboardingStore,
  source: AsyncIterable<SourceItem>,
  reporter: Reporter,
  onProgress?: (counts: SupplyCounts) => void,
): Promise<{ counts: SupplyCounts; stopped?: Error }> {
  const counts: SupplyCounts = { lines: 0, applied: 0, refused: 0, notWaiting: 0 };
  const window: Promise<Outcome>[] = [];
  const lastOfUser = new Map<string, Promise<unknown>>();

  const settleOldest = async () => {
    const outcome = await (window.shift() as Promise<Outcome>);
    if (outcome.applied) counts.applied++;
    else {
      if (outcome.refused.status === 'not-waiting') counts.notWaiting++;
      else counts.refused++;
      await reporter.add(outcome.refused);
    }
    onProgress?.(counts);
  };

  const items = source[Symbol.asyncIterator]();
  let stopped: Error | undefined;
  for (;;) {
    let next: IteratorResult<SourceItem>;
    try {
      next = await items.next();
    } catch (error) {
      stopped = error instanceof Error ? error : new Error(String(error));
      break;
    }
    if (next.done) break;
    counts.lines++;
    const item = next.value;
    const userId = 'value' in item ? asObject(item.value)?.userId : undefined;
    const key = typeof userId === 'string' ? userId : undefined;
    const before = key === undefined ? undefined : lastOfUser.get(key);
    const task = (before ?? Promise.resolve()).then(() => applyOne(handoff, store, item));
    if (key !== undefined) {
      const settled = task.then(
        () => undefined,
        () => undefined,
      );
      lastOfUser.set(key, settled);
      void settled.then(() => {
        if (lastOfUser.get(key) === settled) lastOfUser.delete(key);
      });
    }
    // Awaited in order below; until then a failure must not count as unhandled.
    task.catch(() => undefined);
    window.push(task);
    if (window.length >= IN_FLIGHT) await settleOldest();
  }
  while (window.length > 0) await settleOldest();
  return stopped === undefined ? { counts } : { counts, stopped };
}
