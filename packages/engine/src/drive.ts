import {
  applyEvent,
  type CrossmintPort,
  type InputRecord,
  isStoredRecordError,
  type Lane,
  type OnboardingEvent,
  type OnboardingRow,
  type OnboardingSnapshot,
  type PendingEffect,
  type ProductType,
  pendingEffect,
  type QuarantineReason,
  quarantinedSnapshot,
  redactRecordValues,
  restoreSnapshot,
  type Step,
  statePath,
} from '@kyc-handoff/core';
import type { Budgets } from './budget.js';
import { Checkpoint, type CheckpointDeps } from './checkpoint.js';
import type { DocumentReader } from './documents.js';
import { noticeOf, QUARANTINED, quarantineNotice } from './notices.js';
import { performCall } from './perform.js';
import { seedFor } from './seed.js';

/** Waits up to this long are spent inside the task that holds the lease. */
export const SHORT_WAIT_MS = 1_000;

/** What is happening now, counted by the tasks and read by `activity()` and the virtual clock. */
export interface DriveCounters {
  callsInFlight: number;
  /** Tasks only waiting on the clock (a short backoff): a VirtualClock may jump past them. */
  idleWaits: number;
  quarantined: number;
}

export interface DriveDeps extends CheckpointDeps {
  crossmint: CrossmintPort;
  budgets: Budgets;
  readDocument: DocumentReader;
  targets: readonly ProductType[];
  counters: DriveCounters;
  stopping(): boolean;
  /** Aborted by a hard stop: calls in flight are cut off. */
  signal(): AbortSignal;
  /** Sees every call's resulting event (the fatal-answer watch). */
  observe(event: OnboardingEvent): void;
}

const STEPS: readonly Step[] = [
  'recordingPolicy',
  'submittingKyc',
  'uploadingDocuments',
  'triggering',
  'checking',
];

/** The step the onboarding is in, if it is in one (a call state). */
function currentStep(snapshot: OnboardingSnapshot): Step | null {
  const leaf = statePath(snapshot).split('.').at(-1);
  return STEPS.find((step) => step === leaf) ?? null;
}

function needsRecord(effect: Extract<PendingEffect, { kind: 'call' }>): boolean {
  return (
    effect.call === 'recordLegalDocument' || effect.call === 'upsertUser' || effect.call === 'uploadDocument'
  );
}

/**
 * Drives one claimed onboarding as far as it can go now: each due call, its result fed back as an
 * event, steps committed at checkpoints. `token` is the lane whose token the scheduler reserved for
 * the first call; every later call takes a token only if one is there now, and otherwise the
 * onboarding gives its slot back and waits in its lane. It never waits for a token itself.
 */
export async function drive(row: OnboardingRow, token: Lane | null, deps: DriveDeps): Promise<void> {
  let held = token;
  try {
    await driveHolding(row, deps, (lane) => {
      if (held !== lane) return false;
      held = null;
      return true;
    });
  } finally {
    if (held !== null) deps.budgets.bucket(held).giveBack(1);
  }
}

async function driveHolding(
  row: OnboardingRow,
  deps: DriveDeps,
  spendHeld: (lane: Lane) => boolean,
): Promise<void> {
  const { clock, counters, budgets, store } = deps;
  const userId = row.userId;
  const restored = restoreSnapshot(row.snapshot, { userId, state: row.state });
  const fresh = () => ({ userId, targets: deps.targets, seed: seedFor(userId), now: clock.now() });
  const checkpoint = new Checkpoint(
    deps,
    userId,
    row.version,
    restored.ok
      ? restored.snapshot
      : quarantinedSnapshot(undefined, fresh(), { reason: 'unreadable-row', message: '' }),
  );
  let record: InputRecord | undefined;
  let recordLoaded = false;

  /**
   * Sets this onboarding aside in `failed` with the steps before it, in one commit: it can never
   * run, and retrying it at every claim would fill the log and hold its slot. An unusable record is
   * erased in that commit, so the platform's corrected record is taken by a submit with update.
   */
  const quarantine = async (
    before: OnboardingSnapshot | undefined,
    reason: QuarantineReason,
    message: string,
  ) => {
    const after = quarantinedSnapshot(before, fresh(), {
      reason,
      message,
      step: before === undefined ? null : currentStep(before),
    });
    checkpoint.add({ type: QUARANTINED }, after, quarantineNotice(userId, clock.now(), before, reason));
    if (await checkpoint.save(true, { eraseRecord: reason !== 'unreadable-row' })) {
      counters.quarantined++;
      deps.warnOnce(
        `quarantine:${reason}`,
        `onboarding quarantined to failed (${reason}); the others go on`,
        {
          userId,
          problem: message,
          next: 'status USER_ID shows why; repair the cause, then retry USER_ID starts it afresh',
        },
      );
    }
  };

  /** Loads the record once per task; false when it cannot be used and was quarantined instead. */
  const loadRecord = async (): Promise<boolean> => {
    if (recordLoaded) return true;
    try {
      record = await store.loadRecord(userId);
    } catch (error) {
      if (!isStoredRecordError(error)) throw error;
      await quarantine(
        checkpoint.snapshot,
        error.problem,
        `${error.message}; the unusable record was erased: submit the user again with update, then retry`,
      );
      return false;
    }
    recordLoaded = true;
    return true;
  };

  if (!restored.ok) {
    await quarantine(
      undefined,
      'unreadable-row',
      `the stored onboarding cannot be restored: ${restored.problem}`,
    );
    return;
  }

  deps.notices.inspect(userId, checkpoint.snapshot);
  for (;;) {
    const snapshot = checkpoint.snapshot;
    const effect = pendingEffect(snapshot);
    const dueIn = effect.kind === 'none' ? Number.POSITIVE_INFINITY : effect.dueAt - clock.now();
    if (!deps.stopping() && dueIn > 0 && dueIn <= SHORT_WAIT_MS) {
      // A short wait costs less in this task than a release, a commit and a claim.
      counters.idleWaits++;
      try {
        await clock.sleep(dueIn, deps.signal());
      } finally {
        counters.idleWaits--;
      }
    }
    if (deps.stopping() || effect.kind === 'none' || effect.dueAt > clock.now()) {
      // Not ours to do now: let the lease go so the row is claimable when it is due.
      await checkpoint.save(true);
      return;
    }
    let event: OnboardingEvent;
    if (effect.kind === 'wake') {
      event = { type: 'DUE', now: clock.now() };
    } else {
      if (needsRecord(effect) && !(await loadRecord())) return;
      const bucket = budgets.bucket(effect.budget);
      let took = spendHeld(effect.budget) || bucket.tryTake();
      if (typeof took !== 'boolean') took = await took;
      if (!took) {
        // No token now: back to the lane (due at once), where a claim comes with its token.
        await checkpoint.save(true);
        return;
      }
      counters.callsInFlight++;
      try {
        event = await performCall(
          deps.crossmint,
          effect,
          record,
          deps.readDocument,
          () => clock.now(),
          deps.signal(),
        );
      } finally {
        counters.callsInFlight--;
      }
      if (deps.signal().aborted) {
        // Cut off by a hard stop: the call may or may not have landed; its repeat is identical.
        await checkpoint.save(true);
        return;
      }
      if (event.type === 'STEP_FAILED') {
        // Crossmint's message may quote what it stored of this user, even for a call without a
        // body: no value of the record is kept in the snapshot, last_error or any output. A record
        // that cannot be read here is not needed by this call: its quarantine waits for a call that
        // needs it, and the message keeps only the generic redaction.
        if (!recordLoaded) {
          try {
            record = await store.loadRecord(userId);
            recordLoaded = true;
          } catch (error) {
            if (!isStoredRecordError(error)) throw error;
          }
        }
        event = {
          ...event,
          error: { ...event.error, message: redactRecordValues(event.error.message, record) },
        };
      }
      deps.observe(event);
      if (event.type === 'STEP_FAILED' && event.error.kind === 'rate-limited') {
        bucket.penalize(event.error.retryAfterMs ?? 1_000);
        deps.warnOnce(`429:${effect.budget}`, 'Crossmint answered 429: slowing down', {
          userId,
          budget: effect.budget,
        });
      } else if (event.type !== 'STEP_FAILED') {
        bucket.recordSuccess();
      }
    }
    const next = applyEvent(snapshot, event);
    if (next === snapshot) {
      deps.warnOnce(`dropped:${event.type}`, 'event not accepted in this state; dropped', {
        userId,
        state: statePath(snapshot),
        event: event.type,
      });
      await checkpoint.save(true);
      return;
    }
    checkpoint.add(event, next, noticeOf(userId, snapshot, event, next));
    const nextEffect = pendingEffect(next);
    const keep =
      !deps.stopping() && nextEffect.kind !== 'none' && nextEffect.dueAt - clock.now() <= SHORT_WAIT_MS;
    if (keep && !checkpoint.overdue()) continue;
    if (!(await checkpoint.save(!keep)) || !keep) return;
  }
}
