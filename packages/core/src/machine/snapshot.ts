import { type AnyActorScope, createActor } from 'xstate';
import type { PersistedOnboarding } from '../ports/store.js';
import { compiledPath, compiledSnapshot, compiledTransition, deepFreeze } from './compiled.js';
import { initialContext, type OnboardingContext, type OnboardingInput } from './context.js';
import type { StateMeta } from './effects.js';
import type { OnboardingEvent } from './events.js';
import { onboardingMachine } from './machine.js';
import type { OnboardingOutput } from './version.js';
import { fromMachineSnapshot, type MachineSnapshot, toMachineSnapshot } from './xstate-snapshot.js';

/** A state of the machine: a top-level name, or a top-level name with its active child. */
export type OnboardingStateValue = string | { readonly [state: string]: OnboardingStateValue };

/**
 * One onboarding's machine snapshot, as the functions of this package make and take it. Declared
 * here rather than as XState's own type, whose declarations do not compile for a project with
 * exactOptionalPropertyTypes and skipLibCheck off (statelyai/xstate#4613): only
 * `@kyc-handoff/core/machine` exposes XState's types.
 */
export interface OnboardingSnapshot {
  readonly value: OnboardingStateValue;
  readonly context: OnboardingContext;
  readonly status: 'active' | 'done' | 'error' | 'stopped';
  /** Set once the machine is done (verified or rejected). */
  readonly output?: OnboardingOutput | undefined;
  /** The meta of the active states, by state id. */
  getMeta(): Record<string, StateMeta | undefined>;
}

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
  return fromMachineSnapshot(onboardingMachine.getInitialSnapshot(inertScope(), input));
}

/** Applies one event purely. An event the state does not accept leaves the snapshot unchanged. */
export function applyEvent(snapshot: OnboardingSnapshot, event: OnboardingEvent): OnboardingSnapshot {
  return (
    compiledTransition(snapshot, event) ??
    fromMachineSnapshot(onboardingMachine.transition(toMachineSnapshot(snapshot), event, inertScope()))
  );
}

/** A snapshot as a store keeps it: its state value and its context. */
export interface PersistedSnapshot {
  /** The active state, as XState writes it (`{ policyPending: 'recordingPolicy' }`). */
  readonly value: OnboardingStateValue;
  /** Everything the machine keeps of the onboarding; never a value of the record. */
  readonly context: OnboardingContext;
}

let initialValue: OnboardingStateValue | undefined;

/**
 * `toPersisted(startOnboarding(input))`, without XState's initial transition: the initial state is
 * the same for every input (no guard picks it, no entry action touches the context), so only the
 * context is made per onboarding. A submit makes one per user, and the transition cost 10 µs of the
 * submit's 100; a property test holds the two equal.
 */
export function startPersisted(input: OnboardingInput): PersistedSnapshot {
  initialValue ??= deepFreeze(startOnboarding({ userId: 'initial', seed: 0, now: 0 }).value);
  return { value: initialValue, context: initialContext(input) };
}

export function toPersisted(snapshot: OnboardingSnapshot): PersistedOnboarding {
  return { value: snapshot.value, context: snapshot.context };
}

export function fromPersisted(persisted: PersistedOnboarding): OnboardingSnapshot {
  const context = persisted.context as OnboardingContext;
  return (
    compiledSnapshot(persisted.value, context) ??
    fromMachineSnapshot(
      onboardingMachine.resolveState({
        value: persisted.value as MachineSnapshot['value'],
        context,
      }),
    )
  );
}

export function topLevelState(snapshot: Pick<OnboardingSnapshot, 'value'>): TopLevelState {
  const value = snapshot.value;
  return (typeof value === 'string' ? value : Object.keys(value)[0]) as TopLevelState;
}

/** Dotted path of the active leaf state, e.g. `userCreated.triggering`. */
export function statePath(snapshot: Pick<OnboardingSnapshot, 'value'>): string {
  const compiled = compiledPath(snapshot);
  if (compiled !== undefined) return compiled;
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
