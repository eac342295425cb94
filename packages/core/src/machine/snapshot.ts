import { type AnyActorScope, createActor, type SnapshotFrom } from 'xstate';
import type { PersistedOnboarding } from '../ports/store.js';
import type { OnboardingContext, OnboardingInput } from './context.js';
import type { OnboardingEvent } from './events.js';
import { onboardingMachine } from './machine.js';

export type OnboardingSnapshot = SnapshotFrom<typeof onboardingMachine>;

export const TOP_LEVEL_STATES = [
  'policyPending',
  'userCreated',
  'verificationPending',
  'verified',
  'rejected',
  'requiresData',
  'failed',
] as const;
export type TopLevelState = (typeof TOP_LEVEL_STATES)[number];

let scope: AnyActorScope | undefined;

/**
 * One inert actor scope for every pure step. XState's `transition()` and `initialTransition()`
 * build a fresh actor per call, which computes an initial snapshot without input; that cost (and
 * the error it throws inside) was the engine's largest CPU item. The machine has no actions but
 * `assign`, so the scope never executes anything.
 */
function inertScope(): AnyActorScope {
  if (scope === undefined) {
    const self = createActor(onboardingMachine, { input: { userId: 'inert', seed: 0, now: 0 } });
    scope = {
      self,
      id: '',
      sessionId: '',
      system: self.system,
      defer: () => {},
      emit: () => {},
      logger: () => {},
      stopChild: () => {},
      actionExecutor: () => {},
    } as unknown as AnyActorScope;
  }
  return scope;
}

/** The first snapshot of a new onboarding: its first call is due at `input.now`. */
export function startOnboarding(input: OnboardingInput): OnboardingSnapshot {
  return onboardingMachine.getInitialSnapshot(inertScope(), input);
}

/** Applies one event purely. An event the state does not accept leaves the snapshot unchanged. */
export function applyEvent(snapshot: OnboardingSnapshot, event: OnboardingEvent): OnboardingSnapshot {
  return onboardingMachine.transition(snapshot, event, inertScope());
}

export function toPersisted(snapshot: OnboardingSnapshot): PersistedOnboarding {
  return { value: snapshot.value, context: snapshot.context };
}

export function fromPersisted(persisted: PersistedOnboarding): OnboardingSnapshot {
  return onboardingMachine.resolveState({
    value: persisted.value as OnboardingSnapshot['value'],
    context: persisted.context as OnboardingContext,
  });
}

export function topLevelState(snapshot: Pick<OnboardingSnapshot, 'value'>): TopLevelState {
  const value = snapshot.value;
  return (typeof value === 'string' ? value : Object.keys(value)[0]) as TopLevelState;
}

/** Dotted path of the active leaf state, e.g. `userCreated.triggering`. */
export function statePath(snapshot: Pick<OnboardingSnapshot, 'value'>): string {
  const parts: string[] = [];
  let value: unknown = snapshot.value;
  while (typeof value === 'object' && value !== null) {
    const [key, child] = Object.entries(value)[0] as [string, unknown];
    parts.push(key);
    value = child;
  }
  parts.push(String(value));
  return parts.join('.');
}
