import { z } from 'zod';
import type { PersistedOnboarding } from '../ports/store.js';
import type { ProductType } from '../schemas/api.js';
import { initialContext, QUARANTINE_REASONS, type QuarantineReason, type Step } from './context.js';
import { fromPersisted, type OnboardingSnapshot, statePath, topLevelState } from './snapshot.js';

const count = z.number().int().nonnegative();
const time = z.number().finite();
const timeOrNull = time.nullable();

/**
 * The stored context as the machine and the engine read it. Loose, so a context written by a newer
 * machine with extra fields still restores; strict on every field the engine computes with, so a
 * flipped byte that still parses as JSON (a string where a time was) is caught here and not as a
 * `NaN` wake-up that never comes.
 */
const StoredContext = z.looseObject({
  userId: z.string().min(1),
  targets: z.array(z.string()).min(1),
  seed: z.number().finite(),
  policy: z.record(z.string(), z.number()),
  pendingDocuments: z.array(z.string()),
  wakeAt: timeOrNull,
  attempts: count,
  throttled: count,
  pollCount: count,
  policyRounds: count,
  verificationStartedAt: timeOrNull,
  eligibility: z.array(z.looseObject({ type: z.string(), status: z.string() })).nullable(),
  requested: z
    .looseObject({ missingData: z.array(z.string()), missingDocuments: z.array(z.string()) })
    .nullable(),
  lastError: z.looseObject({ kind: z.string(), message: z.string() }).nullable(),
  failure: z.looseObject({ reason: z.string(), message: z.string() }).nullable(),
  outcome: z.enum(['verified', 'rejected']).nullable(),
});

const StateValue = z.union([z.string(), z.record(z.string(), z.unknown())]);

export type RestoreResult = { ok: true; snapshot: OnboardingSnapshot } | { ok: false; problem: string };

/**
 * A stored snapshot back as a machine snapshot, or why it cannot be: corrupt bytes, a state this
 * machine does not have, a context with a field of the wrong type, or a snapshot that belongs to
 * another row. Never throws, so one bad row cannot stop a claim batch; problems name what is
 * wrong, never a value (a corrupt snapshot could hold anything).
 */
export function restoreSnapshot(
  persisted: PersistedOnboarding,
  expected: { userId: string; state?: string },
): RestoreResult {
  if (persisted.unreadable !== undefined) return { ok: false, problem: persisted.unreadable };
  const value = StateValue.safeParse(persisted.value);
  if (!value.success) return { ok: false, problem: 'the stored state value is not a state name' };
  const context = StoredContext.safeParse(persisted.context);
  if (!context.success) {
    const fields = [...new Set(context.error.issues.map((i) => i.path.map(String).join('.') || '(context)'))];
    return { ok: false, problem: `the stored context has unusable fields: ${fields.join(', ')}` };
  }
  if (context.data.userId !== expected.userId) {
    return { ok: false, problem: 'the stored snapshot belongs to another user id' };
  }
  let snapshot: OnboardingSnapshot;
  try {
    snapshot = fromPersisted({ value: value.data, context: persisted.context });
    statePath(snapshot);
  } catch {
    return { ok: false, problem: 'the stored state does not exist in this machine' };
  }
  if (expected.state !== undefined && topLevelState(snapshot) !== expected.state) {
    return { ok: false, problem: 'the stored state and the state column disagree' };
  }
  return { ok: true, snapshot };
}

export function isQuarantineReason(reason: string | undefined): reason is QuarantineReason {
  return (QUARANTINE_REASONS as readonly string[]).includes(reason ?? '');
}

/**
 * The snapshot a quarantined onboarding is stored with: `failed`, nothing scheduled, the reason as
 * its failure. It keeps what it can of the previous snapshot (attempts, eligibility) so status stays
 * informative; an unreadable one is replaced by a fresh start of the same user.
 */
export function quarantinedSnapshot(
  previous: OnboardingSnapshot | undefined,
  fresh: { userId: string; targets: readonly ProductType[]; seed: number; now: number },
  failure: { reason: QuarantineReason; message: string; step?: Step | null },
): OnboardingSnapshot {
  const base =
    previous?.context ??
    initialContext({ userId: fresh.userId, targets: fresh.targets, seed: fresh.seed, now: fresh.now });
  return fromPersisted({
    value: 'failed',
    context: {
      ...base,
      wakeAt: null,
      failure: { step: failure.step ?? null, reason: failure.reason, message: failure.message },
    },
  });
}
