import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import {
  applyEvent,
  type CommitTransition,
  type CrossmintPort,
  type DocumentType,
  describeIssues,
  type FieldIssue,
  InputRecord,
  isQuarantineReason,
  isStoredRecordError,
  type JournalEntry,
  MACHINE_VERSION,
  type NewOnboarding,
  type OnboardingEvent,
  type OnboardingPolicy,
  type OnboardingRow,
  type OnboardingSnapshot,
  type OnboardingStore,
  onboardingMachine,
  type PendingEffect,
  type ProductType,
  parseRecord,
  pendingEffect,
  type QuarantineReason,
  quarantinedSnapshot,
  type RecordDocument,
  redactRecordValues,
  requirementsFor,
  restoreSnapshot,
  type StateCounts,
  type Step,
  type SubmitStatus,
  SuppliedData,
  startOnboarding,
  statePath,
  toPersisted,
  topLevelState,
} from '@kyc-handoff/core';
import { type BudgetLimits, Budgets, type SharedTokenSource } from './budget.js';
import { type Clock, systemClock } from './clock.js';
import { GroupCommitter } from './committer.js';
import { ConnectivityWatch, watchedPort } from './connectivity.js';
import { createDocumentReader, type DocumentReader } from './documents.js';
import { type Logger, silentLogger } from './logger.js';
import { performCall } from './perform.js';
import { seedFor } from './seed.js';
import { describeStatus, type OnboardingStatus } from './status.js';
import { WakeSignal } from './wake-signal.js';

/** The subset of `@statelyai/inspect`'s inspector the engine feeds (see `createInspector`). */
export interface InspectorLike {
  actor(id: string, snapshot?: unknown, info?: { definition?: string }): void;
  event(id: string, event: { type: string }): void;
  snapshot(id: string, snapshot: unknown, info?: { event?: { type: string } }): void;
}

/** A store that can wake idle workers when another process adds work (PostgreSQL LISTEN/NOTIFY). */
interface WakeSource {
  listen(onWake: () => void): Promise<() => Promise<void>>;
}

export interface HandoffOptions {
  crossmint: CrossmintPort;
  store: OnboardingStore;
  /** Rate budgets per minute; defaults are Crossmint's published limits (120 writes, 360 reads). */
  budgets?: BudgetLimits;
  /** Crossmint calls in flight at most. */
  concurrency?: number;
  /** Products that must be verified; default offramp. */
  targets?: ProductType[];
  policy?: Partial<OnboardingPolicy>;
  clock?: Clock;
  /** Names this worker in leases; default host:pid:random. */
  owner?: string;
  leaseMs?: number;
  /**
   * Reads the documents of records; default `createDocumentReader({ root: process.cwd() })`: files
   * inside the working directory only, at most 10 MB each, 64 MB held at once.
   */
  readDocument?: DocumentReader;
  logger?: Logger;
  inspector?: InspectorLike;
  /** Refuse records that certainly miss what Crossmint requires for their region (default true). */
  precheck?: boolean;
  /** How often an idle worker looks for work added by someone else (default 5 s). */
  idleSweepMs?: number;
}

/** The journal's name for the engine setting an onboarding aside (not an event of the machine). */
export const QUARANTINED = 'QUARANTINED';

/** A journal entry as it is committed, with the outcome it led to. */
export interface TransitionNotice extends JournalEntry {
  outcome: 'verified' | 'rejected' | null;
}

export type SubmitResult =
  | { userId: string; status: SubmitStatus }
  | { userId: string | undefined; status: 'invalid'; issues: FieldIssue[] }
  | { userId: string; status: 'incomplete'; missingData: string[]; missingDocuments: string[] };

export type ManualResult = { ok: true; state: string } | { ok: false; reason: string };

export interface RunOptions {
  /**
   * `idle` (default): return once nothing is scheduled (every onboarding is terminal, or waits for
   * data or an operator). `triggered`: return once every onboarding has been submitted and its
   * verification triggered, leaving the polling for later. `stopped`: run until stop().
   */
  until?: 'idle' | 'triggered' | 'stopped';
}

export interface Handoff {
  submit(records: unknown | readonly unknown[], options?: { update?: boolean }): Promise<SubmitResult[]>;
  supplyData(userId: string, data: unknown): Promise<ManualResult>;
  retry(userId: string): Promise<ManualResult>;
  run(options?: RunOptions): Promise<void>;
  /** Stops claiming, lets calls in flight finish for up to `graceMs`, commits, and resolves. */
  stop(options?: { graceMs?: number }): Promise<void>;
  status(userId: string, options?: { journalLimit?: number }): Promise<OnboardingStatus | undefined>;
  stats(): Promise<StateCounts>;
  subscribe(listener: (notice: TransitionNotice) => void): () => void;
  /** What is happening now: calls in flight, onboardings being driven, budget use. */
  activity(): {
    callsInFlight: number;
    driving: number;
    /** Some onboarding is doing more than waiting on the clock (so a VirtualClock must not jump). */
    busy: boolean;
    commits: number;
    writesGranted: number;
    readsGranted: number;
    /** Onboardings this handoff quarantined (moved to failed because their row or record was unreadable). */
    quarantined: number;
  };
}

const PRE_TRIGGER_STATES = new Set(['policyPending', 'userCreated']);

/** Waits up to this long are spent inside the task that holds the lease. */
const SHORT_WAIT_MS = 1_000;
/** The longest a task goes on without committing its steps (a crash repeats at most that much). */
const CHECKPOINT_MS = 1_000;
/** How long freed slots wait for more to free up before they are claimed anyway. */
const CLAIM_LINGER_MS = 20;
/** The abort reason of the run loop's own wake-ups. */
const WOKEN = Symbol('woken');

export function createHandoff(options: HandoffOptions): Handoff {
  const clock = options.clock ?? systemClock;
  const store = options.store;
  const logger = options.logger ?? silentLogger;
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const leaseMs = options.leaseMs ?? 60_000;
  const idleSweepMs = options.idleSweepMs ?? 5_000;
  const owner = options.owner ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const targets = options.targets ?? ['offramp'];
  const readDocument = options.readDocument ?? createDocumentReader({ root: process.cwd() });
  const crossmint = watchedPort(
    options.crossmint,
    new ConnectivityWatch(clock, logger, () => options.crossmint.baseUrl),
  );
  const shared = 'takeTokens' in store ? (store as unknown as SharedTokenSource) : undefined;
  const budgets = new Budgets(options.budgets ?? {}, clock, shared);
  const committer = new GroupCommitter(store);
  const signal = new WakeSignal();
  const listeners = new Set<(notice: TransitionNotice) => void>();
  const tasks = new Map<string, Promise<void>>();
  const leases = new Map<string, number>();
  let callsInFlight = 0;
  const claimBatch = Math.max(1, Math.floor(concurrency / 8));
  let claimedAt = Number.NEGATIVE_INFINITY;
  /** Onboardings whose task is only waiting on the clock (a budget token, a short backoff). */
  let idleWaits = 0;
  let running = false;
  let stopping = false;
  let abort = newAbortController();
  let quarantined = 0;

  // A kind of trouble is said at warn the first time, then at debug: a stall is never silent, and
  // a thousand of the same never drown the output.
  const warned = new Set<string>();
  function warnOnce(kind: string, message: string, fields: Record<string, unknown>) {
    if (warned.has(kind)) {
      logger.debug(message, fields);
      return;
    }
    warned.add(kind);
    logger.warn(`${message} (said once; the rest at debug)`, fields);
  }

  const inspectorId = (userId: string) => `onboarding:${userId}`;
  const inspected = new Set<string>();
  function inspect(userId: string, snapshot: OnboardingSnapshot, event?: { type: string }) {
    const inspector = options.inspector;
    if (!inspector) return;
    const id = inspectorId(userId);
    const view = { value: snapshot.value, context: snapshot.context, status: snapshot.status };
    if (!inspected.has(id)) {
      inspected.add(id);
      inspector.actor(id, view, { definition: JSON.stringify(onboardingMachine.definition) });
    }
    if (event) {
      inspector.event(id, event);
      inspector.snapshot(id, view, { event });
    }
  }

  function publish(notice: TransitionNotice) {
    for (const listener of listeners) {
      try {
        listener(notice);
      } catch (error) {
        logger.warn('a transition listener threw', { error: (error as Error).message });
      }
    }
  }

  /** A journal entry for the quarantine of `userId` (its state before, if it could be read). */
  function quarantineNotice(
    userId: string,
    before: OnboardingSnapshot | undefined,
    reason: QuarantineReason,
  ): TransitionNotice {
    const at = clock.now();
    const from = before === undefined ? 'unreadable' : statePath(before);
    return { userId, at, from, event: QUARANTINED, to: 'failed', outcome: null, detail: reason };
  }

  function noticeOf(
    userId: string,
    before: OnboardingSnapshot,
    event: OnboardingEvent,
    after: OnboardingSnapshot,
  ): TransitionNotice {
    return {
      userId,
      at: event.now,
      from: statePath(before),
      event: event.type,
      to: statePath(after),
      outcome: after.context.outcome,
      ...withDetail(eventDetail(event, after.context.targets)),
    };
  }

  /** The store write that moves a row to `after`, with a journal row per transition since. */
  function commitOf(
    userId: string,
    expectedVersion: number,
    after: OnboardingSnapshot,
    journal: TransitionNotice[],
    releaseLease: boolean,
    eraseRecord = false,
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
      releaseLease,
      ...(eraseRecord && { eraseRecord }),
      now: clock.now(),
    };
  }

  async function drive(row: OnboardingRow): Promise<void> {
    const userId = row.userId;
    const restored = restoreSnapshot(row.snapshot, { userId, state: row.state });
    const unreadableMessage = restored.ok
      ? ''
      : `the stored onboarding cannot be restored: ${restored.problem}`;
    // An unreadable row starts from its quarantine (below), which replaces this snapshot.
    let snapshot = restored.ok
      ? restored.snapshot
      : quarantinedSnapshot(
          undefined,
          { userId, targets, seed: seedFor(userId), now: clock.now() },
          { reason: 'unreadable-row', message: unreadableMessage },
        );
    let version = row.version;
    let record: InputRecord | undefined;
    let recordLoaded = false;
    // Steps not yet committed. A run of steps due at once is committed as one write (every
    // transition still gets its journal row): a store write per step cost more CPU than the HTTP
    // call it recorded. A crash in between only repeats calls, and a repeated call sends the same
    // bytes; CHECKPOINT_MS bounds how much a crash can make a slow run repeat.
    let unsaved: { event: { type: string }; after: OnboardingSnapshot; notice: TransitionNotice }[] = [];
    let savedAt = clock.now();

    /** Commits the unsaved steps (or just lets the lease go); false when the lease was lost. */
    async function save(releaseLease: boolean, eraseRecord = false): Promise<boolean> {
      if (unsaved.length === 0) {
        if (releaseLease) await store.renewLeases([userId], owner, clock.now() - 1);
        return true;
      }
      const steps = unsaved;
      unsaved = [];
      const result = await committer.commit(
        commitOf(
          userId,
          version,
          snapshot,
          steps.map((s) => s.notice),
          releaseLease,
          eraseRecord,
        ),
      );
      if (!result.committed || result.newVersion === undefined) {
        warnOnce('lease-lost', 'lease lost: another worker moved this onboarding on; result dropped', {
          userId,
        });
        return false;
      }
      // A commit keeps the stored lease expiry as it was: `leases` tracks that expiry, and only a
      // renewal moves it (treating a commit as a renewal once let leases lapse mid-call).
      version = result.newVersion;
      savedAt = clock.now();
      for (const step of steps) {
        inspect(userId, step.after, step.event);
        publish(step.notice);
      }
      return true;
    }

    /**
     * Sets this onboarding aside in `failed` with the steps before it, in one commit: it can never
     * run, and retrying it at every claim would fill the log and stall its slot. An unusable record
     * is erased in that commit, so the platform's corrected record is taken by a submit with update.
     */
    async function quarantine(
      before: OnboardingSnapshot | undefined,
      reason: QuarantineReason,
      message: string,
    ): Promise<void> {
      const step = before === undefined ? null : currentStep(before);
      const after = quarantinedSnapshot(
        before,
        { userId, targets, seed: seedFor(userId), now: clock.now() },
        { reason, message, step },
      );
      unsaved.push({ event: { type: QUARANTINED }, after, notice: quarantineNotice(userId, before, reason) });
      snapshot = after;
      if (await save(true, reason !== 'unreadable-row')) {
        quarantined++;
        warnOnce(`quarantine:${reason}`, `onboarding quarantined to failed (${reason}); the others go on`, {
          userId,
          problem: message,
          next: 'status USER_ID shows why; repair the cause, then retry USER_ID starts it afresh',
        });
      }
    }

    /** The record, loaded once per task; undefined once erased. False: it was quarantined instead. */
    async function loadRecord(): Promise<boolean> {
      if (recordLoaded) return true;
      try {
        record = await store.loadRecord(userId);
      } catch (error) {
        if (!isStoredRecordError(error)) throw error;
        await quarantine(
          snapshot,
          error.problem,
          `${error.message}; the unusable record was erased: submit the user again with update, then retry`,
        );
        return false;
      }
      recordLoaded = true;
      return true;
    }

    if (!restored.ok) {
      await quarantine(undefined, 'unreadable-row', unreadableMessage);
      return;
    }

    inspect(userId, snapshot);
    for (;;) {
      const effect = pendingEffect(snapshot);
      const dueIn = effect.kind === 'none' ? Number.POSITIVE_INFINITY : effect.dueAt - clock.now();
      if (!stopping && dueIn > 0 && dueIn <= SHORT_WAIT_MS) {
        // A short wait costs less in this task than a release, a commit and a claim.
        idleWaits++;
        try {
          await clock.sleep(dueIn, abort.signal);
        } finally {
          idleWaits--;
        }
      }
      if (stopping || effect.kind === 'none' || effect.dueAt > clock.now()) {
        // Not ours to do now: let the lease go so the row is claimable when it is due.
        await save(true);
        return;
      }
      let event: OnboardingEvent;
      if (effect.kind === 'wake') {
        event = { type: 'DUE', now: clock.now() };
      } else {
        if (needsRecord(effect) && !(await loadRecord())) return;
        const bucket = budgets.bucket(effect.budget);
        idleWaits++;
        try {
          await bucket.take(abort.signal);
        } catch {
          await save(true);
          return;
        } finally {
          idleWaits--;
        }
        callsInFlight++;
        try {
          event = await performCall(crossmint, effect, record, readDocument, () => clock.now(), abort.signal);
        } finally {
          callsInFlight--;
        }
        if (abort.signal.aborted) {
          // Cut off by a hard stop: the call may or may not have landed; its repeat is identical.
          await save(true);
          return;
        }
        if (event.type === 'STEP_FAILED') {
          // Crossmint's message may quote what it stored of this user, even for a call without a
          // body: no value of the record is kept in the snapshot, last_error or any output. A
          // record that cannot be read here is not needed by this call: its quarantine waits for a
          // call that needs it, and the message keeps only the generic redaction.
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
        if (event.type === 'STEP_FAILED' && event.error.kind === 'rate-limited') {
          bucket.penalize(event.error.retryAfterMs ?? 1_000);
          warnOnce(`429:${effect.budget}`, 'Crossmint answered 429: slowing down', {
            userId,
            budget: effect.budget,
          });
        } else if (event.type !== 'STEP_FAILED') {
          bucket.recordSuccess();
        }
      }
      const next = applyEvent(snapshot, event);
      if (next === snapshot) {
        warnOnce(`dropped:${event.type}`, 'event not accepted in this state; dropped', {
          userId,
          state: statePath(snapshot),
          event: event.type,
        });
        await save(true);
        return;
      }
      unsaved.push({ event, after: next, notice: noticeOf(userId, snapshot, event, next) });
      snapshot = next;
      const nextEffect = pendingEffect(next);
      const keep = !stopping && nextEffect.kind !== 'none' && nextEffect.dueAt - clock.now() <= SHORT_WAIT_MS;
      if (keep && clock.now() - savedAt < CHECKPOINT_MS) continue;
      if (!(await save(!keep)) || !keep) return;
    }
  }

  function startTask(row: OnboardingRow) {
    leases.set(row.userId, clock.now() + leaseMs);
    const task = drive(row)
      .catch((error: unknown) => {
        logger.error('onboarding step failed unexpectedly; it will be retried when its lease expires', {
          userId: row.userId,
          error: error instanceof Error ? error.message : String(error),
        });
      })
      .finally(() => {
        tasks.delete(row.userId);
        leases.delete(row.userId);
        signal.notify();
      });
    tasks.set(row.userId, task);
  }

  async function renewLeases() {
    const now = clock.now();
    const expiring = [...leases].filter(([, until]) => until - now < leaseMs / 2).map(([userId]) => userId);
    if (expiring.length === 0) return;
    await store.renewLeases(expiring, owner, now + leaseMs);
    for (const userId of expiring) leases.set(userId, now + leaseMs);
  }

  async function finished(until: RunOptions['until']): Promise<boolean> {
    if (until === 'stopped') return false;
    if (until === 'triggered') {
      const counts = await store.countsByState();
      return [...PRE_TRIGGER_STATES].every((state) => (counts[state] ?? 0) === 0);
    }
    return (await store.nextWakeAt()) === null;
  }

  async function waitForWork(ms: number) {
    const cancel = new AbortController();
    await Promise.race([signal.wait(), clock.sleep(ms, cancel.signal)]);
    // A reason of our own: abort() without one builds a DOMException with a stack on every wait.
    cancel.abort(WOKEN);
  }

  /** One round of the loop: claim what is due, then wait for work. True when the run is over. */
  async function step(runOptions: RunOptions): Promise<boolean> {
    const free = concurrency - tasks.size;
    // Slots freed one at a time are claimed a few together: a claim is a write transaction, and
    // one per finished onboarding cost more than the onboarding's own commit.
    const lingering =
      free > 0 && free < claimBatch && tasks.size > 0 && clock.now() - claimedAt < CLAIM_LINGER_MS;
    if (free > 0 && !lingering) {
      claimedAt = clock.now();
      const rows = await store.claimDue({ now: claimedAt, limit: free, owner, leaseMs });
      for (const row of rows) {
        if (!tasks.has(row.userId)) startTask(row);
      }
      if (rows.length === free) return false;
    }
    if (tasks.size === 0 && (await finished(runOptions.until))) return true;
    const next = lingering || tasks.size >= concurrency ? null : await store.nextWakeAt();
    let waitMs = lingering ? CLAIM_LINGER_MS : next === null ? idleSweepMs : Math.max(0, next - clock.now());
    if (tasks.size > 0) waitMs = Math.min(waitMs, leaseMs / 3);
    if (waitMs > 0) await waitForWork(waitMs);
    else await new Promise((resolve) => setImmediate(resolve));
    await renewLeases();
    return false;
  }

  async function run(runOptions: RunOptions = {}): Promise<void> {
    if (running) throw new Error('this handoff is already running');
    running = true;
    stopping = false;
    abort = newAbortController();
    const wakeSource = 'listen' in store ? (store as unknown as WakeSource) : undefined;
    const unlisten = wakeSource ? await wakeSource.listen(() => signal.notify()) : undefined;
    try {
      let storeFailures = 0;
      while (!stopping) {
        try {
          if (await step(runOptions)) break;
          storeFailures = 0;
        } catch (error) {
          // The store is unreachable (a database restart, a dropped connection): back off and go
          // on. Leases of work in flight expire and are reclaimed, so nothing is lost.
          storeFailures++;
          logger.warn('store unavailable; retrying', {
            error: (error as Error).message,
            attempt: storeFailures,
          });
          await clock.sleep(Math.min(5_000, 100 * 2 ** Math.min(storeFailures, 6)));
        }
      }
    } finally {
      stopping = true;
      await Promise.allSettled([...tasks.values()]);
      await committer.drain();
      await unlisten?.();
      running = false;
    }
  }

  async function stop(stopOptions: { graceMs?: number } = {}): Promise<void> {
    stopping = true;
    signal.notify();
    const grace = stopOptions.graceMs ?? 30_000;
    const timer = setTimeout(() => abort.abort(), grace);
    try {
      await Promise.allSettled([...tasks.values()]);
      await committer.drain();
    } finally {
      clearTimeout(timer);
    }
  }

  async function submit(input: unknown | readonly unknown[], submitOptions: { update?: boolean } = {}) {
    const raws = Array.isArray(input) ? input : [input];
    const now = clock.now();
    const results: SubmitResult[] = new Array(raws.length);
    const accepted: { index: number; item: NewOnboarding }[] = [];
    const parsedAll = raws.map((raw) => parseRecord(raw));
    // Documents are checked before the record is accepted, so a refused file is that line's error
    // and not a failure after the user's data has already been sent.
    const documentIssues = await Promise.all(
      parsedAll.map((parsed) => (parsed.ok ? checkDocuments(parsed.record.documents) : [])),
    );
    parsedAll.forEach((parsed, index) => {
      if (!parsed.ok) {
        results[index] = { userId: parsed.userId, status: 'invalid', issues: parsed.issues };
        return;
      }
      const record = parsed.record;
      const issues = documentIssues[index] ?? [];
      if (issues.length > 0) {
        results[index] = { userId: record.userId, status: 'invalid', issues };
        return;
      }
      if (options.precheck !== false) {
        const missing = targets.map((product) => requirementsFor(record, product));
        const missingData = [...new Set(missing.flatMap((m) => m.missingData))];
        const missingDocuments = [...new Set(missing.flatMap((m) => m.missingDocuments))];
        if (missingData.length > 0 || missingDocuments.length > 0) {
          results[index] = { userId: record.userId, status: 'incomplete', missingData, missingDocuments };
          return;
        }
      }
      const snapshot = startOnboarding({
        userId: record.userId,
        targets,
        documentTypes: (record.documents ?? []).map((d) => d.documentType),
        seed: seedFor(record.userId),
        now,
        ...(options.policy && { policy: options.policy }),
      });
      accepted.push({
        index,
        item: {
          record,
          state: topLevelState(snapshot),
          snapshot: toPersisted(snapshot),
          machineVersion: MACHINE_VERSION,
          wakeAt: now,
        },
      });
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
        if (results[a.index]?.status === 'updated') await resumeAfterUpdate(a.item.record);
      }
      signal.notify();
    }
    return results;
  }

  /** Why each document would be refused, as field issues (`documents.1.path`); empty when all pass. */
  async function checkDocuments(documents: readonly RecordDocument[] | undefined): Promise<FieldIssue[]> {
    if (documents === undefined || documents.length === 0) return [];
    const refusals = await Promise.all(documents.map((d) => readDocument.check(d)));
    return refusals.flatMap((refused, i) =>
      refused === undefined
        ? []
        : [
            {
              field: `documents.${i}.${documents[i]?.data !== undefined ? 'data' : 'path'}`,
              reason: refused.message,
            },
          ],
    );
  }

  /** An updated record of a user waiting for data is that data: resubmit it whole. */
  async function resumeAfterUpdate(record: InputRecord) {
    const row = await store.get(record.userId);
    if (row?.state !== 'requiresData') return;
    const documentTypes = (record.documents ?? []).map((d) => d.documentType);
    await manualEvent(record.userId, ['requiresData'], {
      type: 'DATA_SUPPLIED',
      now: clock.now(),
      documentTypes,
    });
  }

  async function manualEvent(
    userId: string,
    allowed: string[],
    event: OnboardingEvent,
  ): Promise<ManualResult> {
    const row = await store.get(userId);
    if (!row) return { ok: false, reason: `no onboarding for user ${userId}` };
    if (!allowed.includes(row.state)) {
      return {
        ok: false,
        reason: `user ${userId} is ${row.state}; this only applies to ${allowed.join(' or ')}`,
      };
    }
    const restored = restoreSnapshot(row.snapshot, { userId, state: row.state });
    if (!restored.ok) {
      return {
        ok: false,
        reason: `the stored onboarding of ${userId} cannot be restored (${restored.problem}): retry it to start it afresh`,
      };
    }
    const before = restored.snapshot;
    const after = applyEvent(before, event);
    return commitManual(row, before, after, noticeOf(userId, before, event, after), event);
  }

  /** Commits an operator's move of one onboarding (one transition, lease released) and tells everyone. */
  async function commitManual(
    row: OnboardingRow,
    before: OnboardingSnapshot | undefined,
    after: OnboardingSnapshot,
    notice: TransitionNotice,
    event: { type: string },
  ): Promise<ManualResult> {
    const userId = row.userId;
    const [result] = await store.commit([commitOf(userId, row.version, after, [notice], true)]);
    if (!result?.committed) return { ok: false, reason: `user ${userId} changed meanwhile; try again` };
    if (before === undefined) inspect(userId, after);
    inspect(userId, after, event);
    publish(notice);
    signal.notify();
    return { ok: true, state: statePath(after) };
  }

  /**
   * Sends a failed onboarding back to the start. One that was quarantined (or whose row cannot be
   * read at all) starts afresh from its current record, which the repair may have replaced; any
   * other repeats its flow with the documents it had. Every write repeats with an identical body.
   */
  async function retry(userId: string): Promise<ManualResult> {
    const row = await store.get(userId);
    if (!row) return { ok: false, reason: `no onboarding for user ${userId}` };
    const restored = restoreSnapshot(row.snapshot, { userId, state: row.state });
    if (restored.ok && row.state !== 'failed') {
      return { ok: false, reason: `user ${userId} is ${row.state}; this only applies to failed` };
    }
    const before = restored.ok ? restored.snapshot : undefined;
    if (before !== undefined && !isQuarantineReason(before.context.failure?.reason)) {
      return manualEvent(userId, ['failed'], { type: 'RETRY', now: clock.now() });
    }
    let record: InputRecord | undefined;
    try {
      record = await store.loadRecord(userId);
    } catch (error) {
      if (!isStoredRecordError(error)) throw error;
      return {
        ok: false,
        reason: `${error.message}: import the user again with --update (submit with update) to replace the record, then retry`,
      };
    }
    if (record === undefined) {
      return {
        ok: false,
        reason: `the record of ${userId} is no longer stored: submit it again with update`,
      };
    }
    const now = clock.now();
    const fresh = startOnboarding({
      userId,
      targets: before?.context.targets ?? targets,
      documentTypes: (record.documents ?? []).map((d) => d.documentType),
      seed: before?.context.seed ?? seedFor(userId),
      now,
      ...(options.policy && { policy: options.policy }),
    });
    const notice: TransitionNotice = {
      userId,
      at: now,
      from: before === undefined ? 'unreadable' : statePath(before),
      event: 'RETRY',
      to: statePath(fresh),
      outcome: null,
      detail: 'afresh',
    };
    return commitManual(row, before, fresh, notice, { type: 'RETRY' });
  }

  async function supplyData(userId: string, data: unknown): Promise<ManualResult> {
    // reportInput lets describeIssues tell a missing field from a mistyped one; it never echoes values.
    const parsed = SuppliedData.safeParse(data, { reportInput: true });
    if (!parsed.success) {
      const detail = describeIssues(parsed.error)
        .map((i) => `${i.field} ${i.reason}`)
        .join('; ');
      return { ok: false, reason: `supplied data for ${userId} refused: ${detail}` };
    }
    const row = await store.get(userId);
    if (row?.state !== 'requiresData') {
      return {
        ok: false,
        reason: row ? `user ${userId} is ${row.state}, not requiresData` : `no onboarding for user ${userId}`,
      };
    }
    let current: InputRecord | undefined;
    try {
      current = await store.loadRecord(userId);
    } catch (error) {
      if (!isStoredRecordError(error)) throw error;
      return { ok: false, reason: `${error.message}: submit the whole record again with update` };
    }
    if (!current)
      return {
        ok: false,
        reason: `the record of ${userId} is no longer stored: submit it again with update`,
      };
    const supplied = parsed.data;
    const documentIssues = await checkDocuments(supplied.documents);
    if (documentIssues.length > 0) {
      const detail = documentIssues.map((i) => `${i.field} ${i.reason}`).join('; ');
      return { ok: false, reason: `supplied data for ${userId} refused: ${detail}` };
    }
    const documents = new Map((current.documents ?? []).map((d) => [d.documentType, d]));
    for (const d of supplied.documents ?? []) documents.set(d.documentType, d);
    const merged = InputRecord.parse({
      ...current,
      ...supplied,
      privacyPolicyAcceptedAt: supplied.privacyPolicyAcceptedAt ?? current.privacyPolicyAcceptedAt,
      ...(documents.size > 0 && { documents: [...documents.values()] }),
    });
    await store.replaceRecord(userId, merged, clock.now());
    const documentTypes: DocumentType[] = (supplied.documents ?? []).map((d) => d.documentType);
    return manualEvent(userId, ['requiresData'], { type: 'DATA_SUPPLIED', now: clock.now(), documentTypes });
  }

  return {
    submit,
    supplyData,
    retry,
    run,
    stop,
    async status(userId, statusOptions = {}) {
      const row = await store.get(userId);
      if (!row) return undefined;
      const journal = await store.journal(userId, { limit: statusOptions.journalLimit ?? 50 });
      return describeStatus(row, journal);
    },
    stats: () => store.countsByState(),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    activity: () => ({
      callsInFlight,
      driving: tasks.size,
      busy: tasks.size > idleWaits,
      commits: committer.commits,
      writesGranted: budgets.write.snapshot().granted,
      readsGranted: budgets.read.snapshot().granted,
      quarantined,
    }),
  };
}

/** Every call in flight listens on the same signal: raise Node's leak warning threshold for it. */
function newAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
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

function withDetail(detail: string | undefined): { detail?: string } {
  return detail === undefined ? {} : { detail };
}

/** A short, personal-data-free note on what an event said. */
function eventDetail(event: OnboardingEvent, targets: readonly string[]): string | undefined {
  switch (event.type) {
    case 'STEP_FAILED':
      return event.error.retryAfterMs === undefined
        ? event.error.kind
        : `${event.error.kind} (retry after ${Math.round(event.error.retryAfterMs / 1000)} s)`;
    case 'VERIFICATION_STATUS':
      return targets
        .map((t) => `${t}=${event.eligibility.find((e) => e.type === t)?.status ?? 'missing'}`)
        .join(' ');
    case 'USER_UPSERTED':
      return event.created ? 'created' : 'updated';
    case 'DOCUMENT_UPLOADED':
      return event.documentType;
    case 'DATA_SUPPLIED':
      return event.documentTypes.length > 0 ? `documents: ${event.documentTypes.join(', ')}` : 'data';
    default:
      return undefined;
  }
}
