import { setMaxListeners } from 'node:events';
import {
  hasWakeNotifications,
  LANES,
  type Lane,
  type OnboardingRow,
  type OnboardingStore,
  type TopLevelState,
} from '@kyc-handoff/core';
import type { Budgets } from './budget.js';
import type { Clock } from './clock.js';
import type { GroupCommitter } from './committer.js';
import type { Logger } from './logger.js';
import { WakeSignal } from './wake-signal.js';

export interface RunOptions {
  /**
   * `idle` (default): return once nothing is scheduled (every onboarding is terminal, or waits for
   * data or an operator). `triggered`: return once every onboarding has been submitted and its
   * verification triggered, leaving the polling for later. `stopped`: run until stop().
   */
  until?: 'idle' | 'triggered' | 'stopped' | undefined;
}

export interface SchedulerDeps {
  store: OnboardingStore;
  committer: GroupCommitter;
  clock: Clock;
  logger: Logger;
  budgets: Budgets;
  concurrency: number;
  leaseMs: number;
  owner: string;
  idleSweepMs: number;
  /** Drives one claimed onboarding; `token` is the lane whose token was reserved for its first call. */
  drive(row: OnboardingRow, token: Lane | null): Promise<void>;
}

/** How long freed slots wait for more to free up before they are claimed anyway. */
const CLAIM_LINGER_MS = 20;
/** The abort reason of the run loop's own wake-ups. */
const WOKEN = Symbol('woken');
/** The top-level states before the verification is triggered (what `until: 'triggered'` waits out). */
const PRE_TRIGGER_STATES: readonly TopLevelState[] = ['policyPending', 'userCreated'];

/**
 * Where claims come from: a lane per budget; or, when neither budget limits anything (a sandbox
 * without limits), one queue of every due onboarding, which costs one claim a round instead of two.
 */
type Queue = Lane | 'all';

/** What a queue did in the last round, which says when it is worth looking at again. */
type LaneState =
  /**
   * Claimed everything that was due: look again when its next onboarding is due, or after a sweep
   * (another process may have added work that no notification announced).
   */
  | { kind: 'drained'; nextAt: number | null; at: number }
  /** Its budget had no token: look again when the next token accrues. */
  | { kind: 'starved' }
  /** Slots ran out: look again when a task finishes. */
  | { kind: 'full' };

/**
 * The run loop: claims due onboardings per lane, only as many as that lane's budget can pay for
 * now (each claim comes with its first token, so no slot ever waits for one), keeps their leases
 * alive, and sleeps until the next thing can happen: a task finishing, a token accruing, an
 * onboarding coming due, or a wake-up from another process.
 */
export class Scheduler {
  private readonly tasks = new Map<string, Promise<void>>();
  private readonly leases = new Map<string, number>();
  private readonly signal = new WakeSignal();
  private readonly queues: readonly Queue[];
  private readonly laneStates: Record<Queue, LaneState> = {
    write: { kind: 'drained', nextAt: 0, at: 0 },
    read: { kind: 'drained', nextAt: 0, at: 0 },
    all: { kind: 'drained', nextAt: 0, at: 0 },
  };
  private firstLane = 0;
  private claimedAt = Number.NEGATIVE_INFINITY;
  private readonly claimBatch: number;
  private running = false;
  /** The run loop is waiting on the clock (or a wake-up), not on the store. */
  private waiting = false;
  private stopping = false;
  private fatal: Error | undefined;
  private abortController = newAbortController();

  constructor(private readonly deps: SchedulerDeps) {
    this.claimBatch = Math.max(1, Math.floor(deps.concurrency / 8));
    this.queues = deps.budgets.write.unlimited && deps.budgets.read.unlimited ? ['all'] : LANES;
  }

  /** Onboardings being driven now. */
  get driving(): number {
    return this.tasks.size;
  }

  /**
   * Whether the run loop waits for a token of `lane` before it claims again: its last claim found
   * the budget empty, or filled every token it had while slots were free (due work waits for tokens).
   */
  waitingForToken(lane: Lane): boolean {
    return this.queues.includes(lane) && this.laneStates[lane].kind === 'starved';
  }

  /**
   * The run loop is doing something other than waiting on the clock: claiming, counting, listening.
   * With a store that answers asynchronously (PostgreSQL), a VirtualClock must not jump meanwhile.
   */
  get looping(): boolean {
    return this.running && !this.waiting;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Aborted by a hard stop (after stop()'s grace): calls in flight are cut off. */
  get abortSignal(): AbortSignal {
    return this.abortController.signal;
  }

  /** Something may have become due (a submit, a commit, another process): look again now. */
  wake(): void {
    for (const queue of this.queues) this.laneStates[queue] = { kind: 'drained', nextAt: 0, at: 0 };
    this.signal.notify();
  }

  /** Ends the run: `run()` rejects with `error` once calls in flight are done. */
  fail(error: Error): void {
    this.fatal ??= error;
    void this.stop({ graceMs: 2_000 });
  }

  async run(options: RunOptions = {}): Promise<void> {
    if (this.running) throw new Error('this handoff is already running');
    this.running = true;
    this.stopping = false;
    this.fatal = undefined;
    this.abortController = newAbortController();
    const { store, clock, logger } = this.deps;
    const unlisten = hasWakeNotifications(store) ? await store.listen(() => this.wake()) : undefined;
    try {
      let storeFailures = 0;
      while (!this.stopping) {
        try {
          if (await this.step(options.until ?? 'idle')) break;
          storeFailures = 0;
        } catch (error) {
          // The store is unreachable (a database restart, a dropped connection): back off and go
          // on. Leases of work in flight expire and are reclaimed, so nothing is lost. A problem of
          // one row never gets here: the task of that row quarantines it.
          storeFailures++;
          const fields = { error: (error as Error).message, attempt: storeFailures };
          if (storeFailures === 1) logger.warn('store unavailable; retrying', fields);
          else logger.debug('store unavailable; retrying', fields);
          this.waiting = true;
          await clock.sleep(Math.min(5_000, 100 * 2 ** Math.min(storeFailures, 6))).finally(() => {
            this.waiting = false;
          });
        }
      }
    } finally {
      this.stopping = true;
      // Tasks still waiting on the clock must be able to see it move while the loop waits for them.
      this.waiting = true;
      await Promise.allSettled([...this.tasks.values()]);
      await this.deps.committer.drain();
      await unlisten?.();
      this.running = false;
      this.waiting = false;
    }
    if (this.fatal !== undefined) throw this.fatal;
  }

  /** Stops claiming, lets calls in flight finish for up to `graceMs`, commits, and resolves. */
  async stop(options: { graceMs?: number | undefined } = {}): Promise<void> {
    this.stopping = true;
    this.signal.notify();
    const timer = setTimeout(() => this.abortController.abort(), options.graceMs ?? 30_000);
    try {
      await Promise.allSettled([...this.tasks.values()]);
      await this.deps.committer.drain();
    } finally {
      clearTimeout(timer);
    }
  }

  /** One round: claim per lane, then wait for the next thing that can happen. True when the run is over. */
  private async step(until: NonNullable<RunOptions['until']>): Promise<boolean> {
    const { clock, concurrency } = this.deps;
    const free = concurrency - this.tasks.size;
    // Slots freed one at a time are claimed a few together: a claim is a write transaction, and
    // one per finished onboarding cost more than the onboarding's own commit.
    const lingering =
      free > 0 &&
      free < this.claimBatch &&
      this.tasks.size > 0 &&
      clock.now() - this.claimedAt < CLAIM_LINGER_MS;
    if (free > 0 && !lingering) {
      this.claimedAt = clock.now();
      // The lanes take turns going first, so neither can keep every freed slot to itself.
      const order = this.firstLane === 0 ? this.queues : [...this.queues].reverse();
      this.firstLane = 1 - this.firstLane;
      let claimed = 0;
      for (const queue of order) claimed += await this.claim(queue);
      // More came due while claiming: go again at once (only after progress, so never a spin).
      if (claimed > 0 && this.queues.some((queue) => this.dueNow(queue))) return false;
    }
    if (this.tasks.size === 0 && (await this.finished(until))) return true;
    const waitMs = lingering ? CLAIM_LINGER_MS : await this.nextWaitMs();
    if (waitMs > 0) await this.waitForWork(waitMs);
    else await new Promise((resolve) => setImmediate(resolve));
    await this.renewLeases();
    return false;
  }

  /** A drained queue whose next onboarding is already due: claim again at once. */
  private dueNow(queue: Queue): boolean {
    const state = this.laneStates[queue];
    return state.kind === 'drained' && state.nextAt !== null && state.nextAt <= this.deps.clock.now();
  }

  /** Claims up to the free slots from a queue, as many as its budget has tokens for right now. */
  private async claim(queue: Queue): Promise<number> {
    const { store, clock, budgets, owner, leaseMs } = this.deps;
    const state = this.laneStates[queue];
    const lane = queue === 'all' ? undefined : queue;
    const now = clock.now();
    if (state.kind === 'drained') {
      const nothingDue = state.nextAt === null || state.nextAt > now;
      // Until a sweep has passed: another process may have added work no notification announced.
      if (nothingDue && now - state.at < this.deps.idleSweepMs) return 0;
    }
    const free = this.deps.concurrency - this.tasks.size;
    if (free <= 0) {
      this.laneStates[queue] = { kind: 'full' };
      return 0;
    }
    const bucket = lane === undefined ? undefined : budgets.bucket(lane);
    const tokens = bucket === undefined ? free : await bucket.reserve(free);
    if (tokens === 0) {
      this.laneStates[queue] = { kind: 'starved' };
      return 0;
    }
    let rows: OnboardingRow[];
    try {
      rows = await store.claimDue({ now: clock.now(), limit: tokens, owner, leaseMs, lane });
    } catch (error) {
      bucket?.giveBack(tokens);
      throw error;
    }
    const fresh = rows.filter((row) => !this.tasks.has(row.userId));
    bucket?.giveBack(tokens - fresh.length);
    for (const row of fresh) this.start(row, lane ?? null);
    if (rows.length < tokens) {
      this.laneStates[queue] = { kind: 'drained', nextAt: await store.nextWakeAt(lane), at: clock.now() };
    } else {
      this.laneStates[queue] = tokens < free ? { kind: 'starved' } : { kind: 'full' };
    }
    return fresh.length;
  }

  private start(row: OnboardingRow, lane: Lane | null): void {
    this.leases.set(row.userId, this.deps.clock.now() + this.deps.leaseMs);
    const task = this.deps
      .drive(row, lane)
      .catch((error: unknown) => {
        this.deps.logger.error('onboarding step failed unexpectedly; it is retried when its lease expires', {
          userId: row.userId,
          error: error instanceof Error ? error.message : String(error),
        });
      })
      .finally(() => {
        this.tasks.delete(row.userId);
        this.leases.delete(row.userId);
        // Its commit may have made it (or others) due in any lane.
        this.wake();
      });
    this.tasks.set(row.userId, task);
  }

  /** Until the earliest of: a token for a starved lane, a drained lane's next onboarding, a sweep. */
  private async nextWaitMs(): Promise<number> {
    const { clock, idleSweepMs, leaseMs, budgets } = this.deps;
    const now = clock.now();
    let waitMs = Number.POSITIVE_INFINITY;
    for (const queue of this.queues) {
      const state = this.laneStates[queue];
      if (state.kind === 'starved' && queue !== 'all') {
        waitMs = Math.min(waitMs, Math.max(1, budgets.bucket(queue).msUntilToken()));
      }
      if (state.kind === 'drained' && state.nextAt !== null) {
        // A wake-up within a lease or so may be another process's lease expiring (theirs may be
        // longer than ours), and a store without notifications (SQLite) never says when that
        // process finished early: look again every sweep rather than a whole lease later. At
        // least a millisecond, so it is never a spin.
        const untilNext = Math.max(1, state.nextAt - now);
        waitMs = Math.min(waitMs, untilNext <= 2 * leaseMs ? Math.min(untilNext, idleSweepMs) : untilNext);
      }
    }
    if (!Number.isFinite(waitMs)) waitMs = idleSweepMs;
    if (this.tasks.size > 0) waitMs = Math.min(waitMs, leaseMs / 3);
    return waitMs;
  }

  private async finished(until: NonNullable<RunOptions['until']>): Promise<boolean> {
    const { store } = this.deps;
    if (until === 'stopped') return false;
    if (until === 'triggered') {
      const counts = await store.countsByState();
      return PRE_TRIGGER_STATES.every((state) => (counts[state] ?? 0) === 0);
    }
    return (await store.nextWakeAt()) === null;
  }

  private async waitForWork(ms: number): Promise<void> {
    const cancel = new AbortController();
    this.waiting = true;
    await Promise.race([this.signal.wait(), this.deps.clock.sleep(ms, cancel.signal)]).finally(() => {
      this.waiting = false;
    });
    // A reason of our own: abort() without one builds a DOMException with a stack on every wait.
    cancel.abort(WOKEN);
  }

  private async renewLeases(): Promise<void> {
    const { store, clock, owner, leaseMs } = this.deps;
    const now = clock.now();
    const expiring = [...this.leases]
      .filter(([, until]) => until - now < leaseMs / 2)
      .map(([userId]) => userId);
    if (expiring.length === 0) return;
    await store.renewLeases(expiring, owner, now + leaseMs);
    for (const userId of expiring) this.leases.set(userId, now + leaseMs);
  }
}

/** Every call in flight listens on the same signal: raise Node's leak warning threshold for it. */
function newAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
