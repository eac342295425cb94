import { hasSharedBudget, type Lane, type NewOnboarding, type OutboxStats } from '@kyc-handoff/core';
import { Budgets, type TokenBucket } from './budget.js';
import { GroupCommitter } from './committer.js';
import { ConnectivityWatch, watchedPort } from './connectivity.js';
import { type Delivery, type DeliveryHandler, type DeliveryOptions, startDelivery } from './deliverer.js';
import { checkDocuments } from './documents.js';
import { type DriveCounters, drive } from './drive.js';
import { FatalWatch, HandoffFatalError } from './fatal.js';
import { intake, parseSubmission, type SubmitResult } from './intake.js';
import { busyOf } from './internals.js';
import { type ListFilter, listOnboardings, type OnboardingListing } from './listing.js';
import { type ManualResult, manualActions } from './manual.js';
import { Notices, type TransitionNotice } from './notices.js';
import { type HandoffOptions, resolveHandoffOptions } from './options.js';
import { describePacing, type HandoffStats } from './pacing.js';
import { type RunOptions, Scheduler } from './scheduler.js';
import { describeStatus, type OnboardingStatus } from './status.js';

export interface Handoff {
  /**
   * Validates and stores records (one store transaction per call), each `created`, `unchanged`,
   * `updated` (with `update`), `conflict`, `invalid` (with field issues, a refused document
   * included) or `incomplete` (the region check). Nothing is sent to Crossmint here.
   */
  submit(
    records: unknown | readonly unknown[],
    options?: { update?: boolean | undefined },
  ): Promise<SubmitResult[]>;
  supplyData(userId: string, data: unknown): Promise<ManualResult>;
  retry(userId: string): Promise<ManualResult>;
  /**
   * Drives due onboardings until `until`. Rejects with a HandoffFatalError when Crossmint refuses
   * the key or the project for the first few answers, so no more of the budget is spent.
   */
  run(options?: RunOptions): Promise<void>;
  /** Stops claiming, lets calls in flight finish for up to `graceMs`, commits, and resolves. */
  stop(options?: { graceMs?: number | undefined }): Promise<void>;
  status(
    userId: string,
    options?: { journalLimit?: number | undefined },
  ): Promise<OnboardingStatus | undefined>;
  /** Counts by state, the budgets, the poll interval they allow and the ETA of whichever binds. */
  stats(): Promise<HandoffStats>;
  /**
   * In-process only: each committed transition, as it happens. For what the platform must act on
   * even across restarts and processes, use `deliver` (or webhooks), which read the durable outbox.
   */
  subscribe(listener: (notice: TransitionNotice) => void): () => void;
  /** Every onboarding matching `filter`, streamed page by page; rows only, never personal data. */
  list(filter?: ListFilter): AsyncIterable<OnboardingListing>;
  /** Why users wait: counts by the kind of their last error and by what Crossmint asked for. */
  breakdown(): Promise<{ errorKinds: Record<string, number>; requestedItems: Record<string, number> }>;
  /**
   * Starts delivering the outbox to `handler` (webhookSender makes one that POSTs Standard
   * Webhooks): at least once, in order per user, retried for up to three days; `stop()` of this
   * handoff stops it too. One destination per store: every process that delivers shares the stream.
   */
  deliver(handler: DeliveryHandler, options?: DeliveryOptions): Delivery;
  /** The outbox's delivery counts, and replay of every event since a time (for a receiver that lost them). */
  outbox: {
    stats(): Promise<OutboxStats>;
    replay(since: number): Promise<number>;
  };
  /** What is happening now: calls in flight, onboardings being driven, budget use. */
  activity(): {
    callsInFlight: number;
    driving: number;
    commits: number;
    writesGranted: number;
    readsGranted: number;
    /** Onboardings this handoff quarantined (moved to failed because their row or record was unreadable). */
    quarantined: number;
    /** Per budget: what metrics show of it now (cheap: no store query). */
    budgets: Record<Lane, BudgetActivity>;
  };
}

/** A budget as `activity()` shows it. */
export interface BudgetActivity {
  /** Tokens there now (fractional; with a shared budget, this worker's credit); Infinity when unlimited. */
  tokens: number;
  /** Whether the run loop waits for this budget's next token before claiming more (due work waits for it). */
  waitingForToken: boolean;
  /** Milliseconds Crossmint's Retry-After still pauses this budget (0 when not paused). */
  pausedForMs: number;
}

/** The engine: a store, a Crossmint port and the budgets, driven by a scheduler. See the README. */
export function createHandoff(options: HandoffOptions): Handoff {
  const resolved = resolveHandoffOptions(options);
  const { store, clock, logger } = resolved;
  const budgets = new Budgets(resolved, clock, hasSharedBudget(store) ? store : undefined);
  const committer = new GroupCommitter(store);
  const notices = new Notices(logger, resolved.inspector);
  const counters: DriveCounters = { callsInFlight: 0, idleWaits: 0, quarantined: 0 };
  const crossmint = watchedPort(
    resolved.crossmint,
    new ConnectivityWatch(clock, logger, () => options.crossmint.baseUrl),
  );

  // A kind of trouble is said at warn the first time, then at debug: a stall is never silent, and
  // a thousand of the same never drown the output.
  const warned = new Set<string>();
  const warnOnce = (kind: string, message: string, fields: Record<string, unknown>) => {
    if (warned.has(kind)) return logger.debug(message, fields);
    warned.add(kind);
    logger.warn(`${message} (said once; the rest at debug)`, fields);
  };

  let fatalWatch: FatalWatch | undefined;
  const scheduler: Scheduler = new Scheduler({
    store,
    committer,
    clock,
    logger,
    budgets,
    concurrency: resolved.concurrency,
    leaseMs: resolved.leaseMs,
    owner: resolved.owner,
    idleSweepMs: resolved.idleSweepMs,
    drive: (row, token) =>
      drive(row, token, {
        store,
        committer,
        clock,
        owner: resolved.owner,
        notices,
        warnOnce,
        crossmint,
        budgets,
        readDocument: resolved.readDocument,
        targets: resolved.targets,
        counters,
        stopping: () => scheduler.isStopping,
        signal: () => scheduler.abortSignal,
        observe: (event) => fatalWatch?.observe(event),
      }),
  });
  const manual = manualActions({
    store,
    clock,
    notices,
    readDocument: resolved.readDocument,
    targets: resolved.targets,
    policy: resolved.policy,
    wake: () => scheduler.wake(),
  });

  async function submit(
    input: unknown | readonly unknown[],
    submitOptions: { update?: boolean | undefined } = {},
  ) {
    const raws = Array.isArray(input) ? input : [input];
    const now = clock.now();
    const results: SubmitResult[] = new Array(raws.length);
    const parsed = raws.map((raw) => parseSubmission(raw));
    // Documents are checked before the record is accepted, so a refused file is that line's error
    // and not a failure after the user's data has already been sent.
    const documentIssues = await Promise.all(
      parsed.map((p) => (p.ok ? checkDocuments(resolved.readDocument, p.record.documents) : [])),
    );
    const accepted: { index: number; item: NewOnboarding }[] = [];
    parsed.forEach((p, index) => {
      if (!p.ok) {
        results[index] = p.result;
        return;
      }
      const issues = documentIssues[index] ?? [];
      if (issues.length > 0) {
        results[index] = { userId: p.record.userId, status: 'invalid', issues };
        return;
      }
      const taken = intake(p.record, resolved, now);
      if (taken.accepted) accepted.push({ index, item: taken.onboarding });
      else results[index] = taken.result;
    });
    if (accepted.length > 0) {
      const outcomes = await store.submit(
        accepted.map((a) => a.item),
        { now, ...(submitOptions.update !== undefined && { update: submitOptions.update }) },
      );
      accepted.forEach((a, i) => {
        results[a.index] = outcomes[i] ?? { userId: a.item.record.userId, status: 'conflict' };
      });
      for (const a of accepted) {
        if (results[a.index]?.status === 'updated') await manual.resumeAfterUpdate(a.item.record);
      }
      scheduler.wake();
      for (const delivery of deliveries) delivery.wake();
    }
    return results;
  }

  const deliveries = new Set<Delivery>();
  // A committed arrival the platform must hear of (and a submit) wrote an outbox event: look now.
  notices.subscribe((notice) => {
    if (['verified', 'rejected', 'requiresData', 'failed'].includes(notice.to.split('.')[0] ?? '')) {
      for (const delivery of deliveries) delivery.wake();
    }
  });

  const handoff: Handoff = {
    submit,
    supplyData: manual.supplyData,
    retry: manual.retry,
    run: async (runOptions) => {
      const watch = new FatalWatch(resolved.fatalAfter, (error) => scheduler.fail(error));
      fatalWatch = watch;
      await scheduler.run(runOptions);
      const kind = watch.unresolved();
      if (kind !== undefined) throw new HandoffFatalError(kind);
    },
    stop: async (stopOptions) => {
      await Promise.all([scheduler.stop(stopOptions), ...[...deliveries].map((d) => d.stop(stopOptions))]);
    },
    list: (filter) => listOnboardings(store, filter),
    async breakdown() {
      const [errorKinds, requestedItems] = await Promise.all([
        store.countsByErrorKind(),
        store.countsByRequestedItem(),
      ]);
      return { errorKinds, requestedItems };
    },
    deliver(handler, deliveryOptions) {
      const delivery = startDelivery(
        { store, clock, logger, owner: resolved.owner },
        handler,
        deliveryOptions,
      );
      const own: Delivery = {
        wake: () => delivery.wake(),
        drain: (o) => delivery.drain(o),
        async stop(o) {
          deliveries.delete(own);
          await delivery.stop(o);
        },
      };
      deliveries.add(own);
      return own;
    },
    outbox: {
      stats: () => store.outboxStats(),
      replay: async (since) => {
        const replayed = await store.replayOutbox({ since, now: clock.now() });
        for (const delivery of deliveries) delivery.wake();
        return replayed;
      },
    },
    async status(userId, statusOptions = {}) {
      const row = await store.get(userId);
      if (!row) return undefined;
      const journal = await store.journal(userId, { limit: statusOptions.journalLimit ?? 50 });
      const pacing =
        row.state === 'verificationPending'
          ? describePacing(await store.countsByState(), budgets)
          : undefined;
      return describeStatus(row, journal, pacing?.pollIntervalMs ?? null);
    },
    stats: async () => describePacing(await store.countsByState(), budgets),
    subscribe: (listener) => notices.subscribe(listener),
    activity: () => ({
      callsInFlight: counters.callsInFlight,
      driving: scheduler.driving,
      commits: committer.commits,
      writesGranted: budgets.write.snapshot().granted,
      readsGranted: budgets.read.snapshot().granted,
      quarantined: counters.quarantined,
      budgets: {
        write: budgetActivity(budgets.write, scheduler),
        read: budgetActivity(budgets.read, scheduler),
      },
    }),
  };
  busyOf.set(handoff, () => scheduler.looping || scheduler.driving > counters.idleWaits);
  return handoff;
}

function budgetActivity(bucket: TokenBucket, scheduler: Scheduler): BudgetActivity {
  return {
    tokens: bucket.available(),
    waitingForToken: scheduler.waitingForToken(bucket.lane),
    pausedForMs: bucket.pausedForMs(),
  };
}
