import { beforeAll, describe, expect, it } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { expectedNext } from './__test-utils__/oracle.js';
import { eventsFor, MODEL_INPUT, modelStateKey } from './__test-utils__/samples.js';
import type { OnboardingEvent } from './events.js';
import { onboardingMachine } from './machine.js';
import { pendingEffect } from './pending-effect.js';
import {
  applyEvent,
  fromPersisted,
  type OnboardingSnapshot,
  startOnboarding,
  statePath,
  toPersisted,
} from './snapshot.js';
import { toMachineSnapshot } from './xstate-snapshot.js';

const model = createTestModel(onboardingMachine, {
  input: MODEL_INPUT,
  events: (snapshot) => eventsFor(statePath(snapshot), snapshot.context),
  // Without a sample the traversal would send a bare `{ type }`; every real event carries `now`.
  filterEvents: (_snapshot, event) => 'now' in event,
  serializeState: (snapshot) => modelStateKey(snapshot, statePath(snapshot)),
});

/** Every transition of the machine, each guarded branch separately: `source|EVENT|index`. */
function allTransitions(node: AnyStateNode = onboardingMachine.root): string[] {
  const own = [...node.transitions].flatMap(([event, list]) =>
    list.map((_, i) => `${node.id}|${event}|${i}`),
  );
  return [...own, ...Object.values(node.states).flatMap((child) => allTransitions(child))];
}

function allStateNodes(node: AnyStateNode = onboardingMachine.root): string[] {
  return [node.id, ...Object.values(node.states).flatMap((child) => allStateNodes(child))];
}

function takenTransition(snapshot: OnboardingSnapshot, event: OnboardingEvent): string | undefined {
  const [t] = onboardingMachine.getTransitionData(toMachineSnapshot(snapshot), event);
  if (!t) return undefined;
  const index = t.source.transitions.get(event.type)?.indexOf(t) ?? -1;
  return `${t.source.id}|${event.type}|${index}`;
}

/**
 * Replays a generated path the way the engine runs the machine: every step goes through a
 * persisted-and-restored snapshot and the pure `transition`, and each step must agree with the
 * oracle table and keep the invariants the engine relies on.
 */
function replay(events: readonly OnboardingEvent[], from: OnboardingSnapshot = startOnboarding(MODEL_INPUT)) {
  let snapshot = from;
  const visited = new Set<string>(toMachineSnapshot(snapshot)._nodes.map((n) => n.id));
  const taken = new Set<string>();
  const states = [snapshot];
  for (const event of events) {
    const restored = fromPersisted(JSON.parse(JSON.stringify(toPersisted(snapshot))));
    const expected = expectedNext(statePath(restored), restored.context, event);
    const id = takenTransition(restored, event);
    if (id) taken.add(id);
    snapshot = applyEvent(restored, event);
    expect(statePath(snapshot), `${statePath(restored)} + ${event.type}`).toBe(expected);
    const effect = pendingEffect(snapshot);
    if (effect.kind !== 'none') expect(effect.dueAt).toBeGreaterThanOrEqual(event.now);
    for (const node of toMachineSnapshot(snapshot)._nodes) visited.add(node.id);
    states.push(snapshot);
  }
  return { snapshot, visited, taken, states };
}

/**
 * The abstract states (see modelStateKey) the correct machine reaches. A broken limit guard lets a
 * counter run on and multiplies the simple paths past what can be enumerated in a test run, so the
 * size is checked first and the enumeration refused beyond it.
 */
const MAX_MODEL_STATES = 120;

/** Cheap first: a small state space, and every shortest path agreeing with the table. */
function checkShortestPaths() {
  const states = Object.keys(model.getAdjacencyMap()).length;
  expect(states, 'abstract states: a guard or counter is broken').toBeLessThanOrEqual(MAX_MODEL_STATES);
  for (const path of model.getShortestPaths()) {
    replay(path.steps.map((s) => s.event).filter((e) => !e.type.startsWith('xstate.')));
  }
}

describe('onboarding machine, shortest paths (fast)', () => {
  it(
    'every shortest path agrees with the transition table, and the state space stays small',
    checkShortestPaths,
  );
});

describe('onboarding machine, model-based', () => {
  let paths: ReturnType<typeof model.getSimplePaths> = [];
  const visited = new Set<string>();
  const taken = new Set<string>();
  const finals: OnboardingSnapshot[] = [];

  // Enumerating and replaying every simple path is the expensive part: done once for all tests.
  beforeAll(() => {
    // A machine that fails the cheap check would only make the enumeration slow, not more wrong.
    checkShortestPaths();
    paths = model.getSimplePaths();
    const ends = new Map<string, OnboardingSnapshot>();
    const record = (run: ReturnType<typeof replay>) => {
      for (const id of run.visited) visited.add(id);
      for (const id of run.taken) taken.add(id);
      if (run.snapshot.status === 'done') finals.push(run.snapshot);
    };
    for (const path of paths) {
      const run = replay(path.steps.map((s) => s.event).filter((e) => !e.type.startsWith('xstate.')));
      record(run);
      for (const state of run.states) ends.set(modelStateKey(state, statePath(state)), state);
    }
    // A simple path never takes the step that closes a loop (a retry back to the start, a poll back
    // to waiting); one more step from every distinct state on the paths takes those too.
    for (const end of ends.values()) {
      for (const event of eventsFor(statePath(end), end.context)) record(replay([event], end));
    }
    console.info(`model-based: ${paths.length} simple paths replayed`);
  }, 180_000);

  it('enumerates a finite, non-trivial set of simple paths, each replayed against the transition table', () => {
    // replay() asserts each step; reaching here means all of them agreed.
    expect(paths.length).toBeGreaterThan(1_000);
  });

  it('the paths take every state node', () => {
    expect(allStateNodes().filter((id) => !visited.has(id))).toEqual([]);
  });

  it('the paths take every transition, each guarded branch separately', () => {
    expect(allTransitions().filter((id) => !taken.has(id))).toEqual([]);
  });

  it('paths that end in a final state end with the outcome the eligibility list says', () => {
    expect(finals.length).toBeGreaterThan(0);
    for (const snapshot of finals) {
      const offramp = snapshot.context.eligibility?.find((e) => e.type === 'offramp')?.status;
      expect(snapshot.output?.outcome).toBe(offramp);
    }
  });
});
