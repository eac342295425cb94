import {
  type CrossmintErrorKind,
  type JournalEntry,
  type OnboardingEvent,
  type OnboardingSnapshot,
  type QuarantineReason,
  statePath,
} from '@kyc-handoff/core';
import { onboardingMachine } from '@kyc-handoff/core/machine';
import type { Logger } from './logger.js';
import type { InspectorLike } from './options.js';

/** The journal's name for the engine setting an onboarding aside (not an event of the machine). */
export const QUARANTINED = 'QUARANTINED';

/** A journal entry as it is committed, with the outcome it led to. */
export interface TransitionNotice extends JournalEntry {
  outcome: 'verified' | 'rejected' | null;
  /** For a failed call (STEP_FAILED), how it failed: the same kind as `detail` starts with. */
  errorKind?: CrossmintErrorKind;
}

/** The notice of one transition, with a short, personal-data-free detail of its event. */
export function noticeOf(
  userId: string,
  before: OnboardingSnapshot,
  event: OnboardingEvent,
  after: OnboardingSnapshot,
): TransitionNotice {
  const notice: TransitionNotice = {
    userId,
    at: event.now,
    from: statePath(before),
    event: event.type,
    to: statePath(after),
    outcome: after.context.outcome,
  };
  const detail = eventDetail(event, after.context.targets);
  if (detail !== undefined) notice.detail = detail;
  if (event.type === 'STEP_FAILED') notice.errorKind = event.error.kind;
  return notice;
}

/** The notice of a quarantine: from the state before, if it could be read. */
export function quarantineNotice(
  userId: string,
  at: number,
  before: OnboardingSnapshot | undefined,
  reason: QuarantineReason,
): TransitionNotice {
  const from = before === undefined ? 'unreadable' : statePath(before);
  return { userId, at, from, event: QUARANTINED, to: 'failed', outcome: null, detail: reason };
}

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
    case 'POLICY_RECORDED':
    case 'DUE':
    case 'RETRY':
      return undefined;
  }
}

/**
 * Where committed transitions go: the in-process subscribers and the Stately inspector. Both see a
 * transition only once it is committed, so nobody acts on a step a crash could undo.
 */
export class Notices {
  private readonly listeners = new Set<(notice: TransitionNotice) => void>();
  private readonly inspected = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly inspector: InspectorLike | undefined,
  ) {}

  subscribe(listener: (notice: TransitionNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Shows an onboarding to the inspector (once), and the event that led to `snapshot`, if any. */
  inspect(userId: string, snapshot: OnboardingSnapshot, event?: { type: string }): void {
    const inspector = this.inspector;
    if (!inspector) return;
    const id = `onboarding:${userId}`;
    const view = { value: snapshot.value, context: snapshot.context, status: snapshot.status };
    if (!this.inspected.has(id)) {
      this.inspected.add(id);
      inspector.actor(id, view, { definition: JSON.stringify(onboardingMachine.definition) });
    }
    if (event) {
      inspector.event(id, event);
      inspector.snapshot(id, view, { event });
    }
  }

  /** One committed step: to the inspector, then to every subscriber (a throwing one is logged). */
  publish(notice: TransitionNotice, after: OnboardingSnapshot, event: { type: string }): void {
    this.inspect(notice.userId, after, event);
    for (const listener of this.listeners) {
      try {
        listener(notice);
      } catch (error) {
        this.logger.warn('a transition listener threw', { error: (error as Error).message });
      }
    }
  }
}
