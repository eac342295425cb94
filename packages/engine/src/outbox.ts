import {
  type OnboardingSnapshot,
  type OutboxEventType,
  type OutboxPayload,
  type TopLevelState,
  topLevelState,
} from '@kyc-handoff/core';

/** Top-level states whose arrival the platform must hear about: each writes an outbox event. */
const ANNOUNCED: ReadonlySet<TopLevelState> = new Set(['verified', 'rejected', 'requiresData', 'failed']);

/** The top-level state a journal state path is in (`userCreated.triggering` → `userCreated`). */
const topOf = (path: string) => path.split('.')[0];

/**
 * The outbox event a transition from `fromPath` to `after` produces, if the platform must act on it:
 * arriving in verified, rejected, requiresData or failed (a move within one of those, or a repeat,
 * says nothing new). Ids, statuses and reasons only; failure messages are already redacted.
 */
export function outboxPayloadOf(
  fromPath: string,
  after: OnboardingSnapshot,
  at: number,
): OutboxPayload | undefined {
  const state = topLevelState(after);
  if (!ANNOUNCED.has(state) || topOf(fromPath) === state) return undefined;
  return payload(state as OutboxEventType, after, at);
}

/** What an event is made of: the state and the context, of a live snapshot or a persisted one. */
type EventSource = Pick<OnboardingSnapshot, 'value' | 'context'>;

/** The `submitted` event of a new onboarding. */
export function submittedPayload(snapshot: EventSource, at: number): OutboxPayload {
  return payload('submitted', snapshot, at);
}

function payload(type: OutboxEventType, snapshot: EventSource, at: number): OutboxPayload {
  const ctx = snapshot.context;
  return {
    type,
    userId: ctx.userId,
    state: topLevelState(snapshot),
    outcome: ctx.outcome,
    eligibility:
      ctx.eligibility === null
        ? null
        : ctx.eligibility
            .filter((e) => (ctx.targets as readonly string[]).includes(e.type))
            .map((e) => ({ type: e.type, status: e.status })),
    requested: ctx.requested,
    failure: ctx.failure === null ? null : { reason: ctx.failure.reason, message: ctx.failure.message },
    at,
  };
}
