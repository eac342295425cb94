import {
  type CommitTransition,
  type OnboardingSnapshot,
  type OnboardingStore,
  type OutboxPayload,
  pendingEffect,
  toPersisted,
  topLevelState,
} from '@kyc-handoff/core';
import type { Clock } from './clock.js';
import type { GroupCommitter } from './committer.js';
import type { Notices, TransitionNotice } from './notices.js';
import { outboxPayloadOf } from './outbox.js';

/** The longest a task goes on without committing its steps (a crash repeats at most that much). */
export const CHECKPOINT_MS = 1_000;

/** The store write that moves a row to `after`, with a journal row per transition since. */
export function commitOf(
  userId: string,
  expectedVersion: number,
  after: OnboardingSnapshot,
  journal: readonly TransitionNotice[],
  options: { releaseLease: boolean; now: number; eraseRecord?: boolean; outbox?: readonly OutboxPayload[] },
): CommitTransition {
  const effect = pendingEffect(after);
  const ctx = after.context;
  return {
    userId,
    expectedVersion,
    state: topLevelState(after),
    snapshot: toPersisted(after),
    wakeAt: effect.kind === 'none' ? null : effect.dueAt,
    attempts: ctx.attempts + ctx.throttled,
    lastError: ctx.lastError
      ? `${ctx.lastError.kind} in ${ctx.lastError.step}: ${ctx.lastError.message}`
      : null,
    outcome: ctx.outcome,
    journal,
    releaseLease: options.releaseLease,
    ...(options.eraseRecord === true && { eraseRecord: true }),
    ...(options.outbox !== undefined && options.outbox.length > 0 && { outbox: options.outbox }),
    now: options.now,
  };
}

export interface CheckpointDeps {
  store: OnboardingStore;
  committer: GroupCommitter;
  clock: Clock;
  owner: string;
  notices: Notices;
  /** Said once at warn, then at debug. */
  warnOnce(kind: string, message: string, fields: Record<string, unknown>): void;
}

interface Step {
  event: { type: string };
  after: OnboardingSnapshot;
  notice: TransitionNotice;
}

/**
 * The steps of one onboarding not yet committed. A run of steps due at once is committed as one
 * write (every transition still gets its journal row): a store write per step cost more CPU than
 * the HTTP call it recorded. A crash in between only repeats calls, and a repeated call sends the
 * same bytes; CHECKPOINT_MS bounds how much a crash can make a slow run repeat. Subscribers hear of
 * a step only once it is committed.
 */
export class Checkpoint {
  private unsaved: Step[] = [];
  private savedAt: number;

  constructor(
    private readonly deps: CheckpointDeps,
    readonly userId: string,
    private version: number,
    /** The onboarding as of its last step, saved or not. */
    public snapshot: OnboardingSnapshot,
  ) {
    this.savedAt = deps.clock.now();
  }

  add(event: { type: string }, after: OnboardingSnapshot, notice: TransitionNotice): void {
    this.unsaved.push({ event, after, notice });
    this.snapshot = after;
  }

  /** Whether steps have gone uncommitted for CHECKPOINT_MS. */
  overdue(): boolean {
    return this.deps.clock.now() - this.savedAt >= CHECKPOINT_MS;
  }

  /** Commits the unsaved steps (or just lets the lease go); false when the lease was lost. */
  async save(releaseLease: boolean, options: { eraseRecord?: boolean } = {}): Promise<boolean> {
    const { store, committer, clock, owner, notices } = this.deps;
    if (this.unsaved.length === 0) {
      if (releaseLease) await store.renewLeases([this.userId], owner, clock.now() - 1);
      return true;
    }
    const steps = this.unsaved;
    this.unsaved = [];
    // What the platform must hear of these steps goes into the outbox in the same transaction.
    const outbox = steps.flatMap((s) => outboxPayloadOf(s.notice.from, s.after, s.notice.at) ?? []);
    const result = await committer.commit(
      commitOf(
        this.userId,
        this.version,
        this.snapshot,
        steps.map((s) => s.notice),
        { releaseLease, now: clock.now(), outbox, ...options },
      ),
    );
    if (!result.committed || result.newVersion === undefined) {
      this.deps.warnOnce(
        'lease-lost',
        'lease lost: another worker moved this onboarding on; result dropped',
        {
          userId: this.userId,
        },
      );
      return false;
    }
    // A commit keeps the stored lease expiry as it was: the scheduler tracks that expiry, and only
    // a renewal moves it (treating a commit as a renewal once let leases lapse mid-call).
    this.version = result.newVersion;
    this.savedAt = clock.now();
    for (const step of steps) notices.publish(step.notice, step.after, step.event);
    return true;
  }
}
