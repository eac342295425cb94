import {
  applyEvent,
  type DocumentType,
  describeIssues,
  InputRecord,
  isQuarantineReason,
  isStoredRecordError,
  type OnboardingEvent,
  type OnboardingRow,
  type OnboardingSnapshot,
  type OnboardingStore,
  type PolicyOverrides,
  type ProductType,
  restoreSnapshot,
  SECTIONS,
  SuppliedData,
  startOnboarding,
  statePath,
} from '@kyc-handoff/core';
import { commitOf } from './checkpoint.js';
import type { Clock } from './clock.js';
import { checkDocuments, type DocumentReader } from './documents.js';
import { type Notices, noticeOf, type TransitionNotice } from './notices.js';
import { outboxPayloadOf } from './outbox.js';
import { seedFor } from './seed.js';

export type ManualResult = { ok: true; state: string } | { ok: false; reason: string };

export interface ManualDeps {
  store: OnboardingStore;
  clock: Clock;
  notices: Notices;
  readDocument: DocumentReader;
  targets: readonly ProductType[];
  policy: PolicyOverrides | undefined;
  /** Something became due: the scheduler should look. */
  wake(): void;
}

/** What an operator (or the platform) does to one onboarding: supply data, retry. */
export function manualActions(deps: ManualDeps) {
  const { store, clock } = deps;

  /** Commits an operator's move of one onboarding (one transition, lease released) and tells everyone. */
  async function commitManual(
    row: OnboardingRow,
    before: OnboardingSnapshot | undefined,
    after: OnboardingSnapshot,
    notice: TransitionNotice,
    event: { type: string },
  ): Promise<ManualResult> {
    const userId = row.userId;
    const [result] = await store.commit([
      commitOf(userId, row.version, after, [notice], {
        releaseLease: true,
        now: clock.now(),
        outbox: [outboxPayloadOf(notice.from, after, notice.at)].filter((p) => p !== undefined),
      }),
    ]);
    if (!result?.committed) return { ok: false, reason: `user ${userId} changed meanwhile; try again` };
    if (before === undefined) deps.notices.inspect(userId, after);
    deps.notices.publish(notice, after, event);
    deps.wake();
    return { ok: true, state: statePath(after) };
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

  /**
   * Gives an onboarding waiting for data what Crossmint asked for: whole sections replace the
   * record's, documents are added or replaced by type; then it resubmits from the upsert. Data that
   * changes nothing is refused: it would spend an upsert and a trigger for nothing.
   */
  async function supplyData(userId: string, data: unknown): Promise<ManualResult> {
    // reportInput lets describeIssues tell a missing field from a mistyped one; it never echoes values.
    const parsed = SuppliedData.safeParse(data, { reportInput: true });
    if (!parsed.success) {
      const detail = describeIssues(parsed.error)
        .map((i) => `${i.field} ${i.reason}`)
        .join('; ');
      return { ok: false, reason: `supplied data for ${userId} refused: ${detail}` };
    }
    const supplied = parsed.data;
    if (!SECTIONS.some((s) => supplied[s] !== undefined) && (supplied.documents ?? []).length === 0) {
      return {
        ok: false,
        reason: `supplied data for ${userId} holds nothing to send: give documents or whole sections (${SECTIONS.join(', ')})`,
      };
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
    if (!current) {
      return {
        ok: false,
        reason: `the record of ${userId} is no longer stored: submit it again with update`,
      };
    }
    const documentIssues = await checkDocuments(deps.readDocument, supplied.documents);
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
      targets: before?.context.targets ?? deps.targets,
      documentTypes: (record.documents ?? []).map((d) => d.documentType),
      seed: before?.context.seed ?? seedFor(userId),
      now,
      ...(deps.policy && { policy: deps.policy }),
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

  /** An updated record of a user waiting for data is that data: resubmit it whole. */
  async function resumeAfterUpdate(record: InputRecord): Promise<void> {
    const row = await store.get(record.userId);
    if (row?.state !== 'requiresData') return;
    const documentTypes = (record.documents ?? []).map((d) => d.documentType);
    await manualEvent(record.userId, ['requiresData'], {
      type: 'DATA_SUPPLIED',
      now: clock.now(),
      documentTypes,
    });
  }

  return { supplyData, retry, resumeAfterUpdate };
}
