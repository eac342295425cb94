import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMachine, transition } from 'xstate';
import { drive, onboardingInputArb, runStepsArb } from '../__test-utils__/arbitraries.js';
import { compiledSnapshot, compiledTransition, compileLeaves, isCompiledSnapshot } from './compiled.js';
import type { OnboardingEvent } from './events.js';
import { onboardingMachine } from './machine.js';
import { restoreSnapshot } from './restore.js';
import {
  applyEvent,
  fromPersisted,
  type OnboardingSnapshot,
  startOnboarding,
  statePath,
  toPersisted,
} from './snapshot.js';
import { fromMachineSnapshot, type MachineSnapshot, toMachineSnapshot } from './xstate-snapshot.js';

const RUNS = { seed: 7, numRuns: 300 } as const;

/** XState's own pure transition, its public `transition()`: the oracle. */
function xstateTransition(snapshot: MachineSnapshot, event: OnboardingEvent): MachineSnapshot {
  return transition(onboardingMachine, snapshot, event)[0];
}

const view = (s: OnboardingSnapshot) => ({
  value: s.value,
  context: s.context,
  status: s.status,
  output: s.output,
  meta: s.getMeta(),
});

describe('compiled transitions', () => {
  it('compiles this machine (the engine would otherwise fall back to XState for every event)', () => {
    const start = startOnboarding({ userId: 'u-1', seed: 1, now: 0 });
    const next = compiledTransition(start, { type: 'POLICY_RECORDED', now: 5 });
    expect(next !== undefined && isCompiledSnapshot(next)).toBe(true);
  });

  it('give what XState gives, for every event in every reachable state', () => {
    const scenario = fc.record({ input: onboardingInputArb(), steps: runStepsArb(60) });
    const reached = new Set<string>();
    fc.assert(
      fc.property(scenario, ({ input, steps }) => {
        drive(input, steps, (after, event, before) => {
          reached.add(statePath(before));
          const machineBefore = toMachineSnapshot(before);
          const expected = xstateTransition(machineBefore, event);
          // An event the state does not take leaves the snapshot as it was, in both.
          expect(after === before).toBe(expected === machineBefore);
          expect(view(after)).toEqual(view(fromMachineSnapshot(expected)));
          expect(statePath(after)).toBe(statePath({ value: expected.value }));
        });
      }),
      RUNS,
    );
    expect(reached.size).toBeGreaterThanOrEqual(10);
  });

  it('a restored snapshot is compiled and equals the one XState resolves', () => {
    fc.assert(
      fc.property(onboardingInputArb(), runStepsArb(20), (input, steps) => {
        const { snapshot } = drive(input, steps);
        const persisted = JSON.parse(JSON.stringify(toPersisted(snapshot)));
        const restored = restoreSnapshot(persisted, { userId: input.userId });
        expect(restored.ok).toBe(true);
        if (!restored.ok) return;
        expect(isCompiledSnapshot(restored.snapshot)).toBe(true);
        const resolved = onboardingMachine.resolveState({
          value: persisted.value,
          context: persisted.context,
        });
        expect({ ...view(restored.snapshot), output: undefined }).toEqual({
          ...view(fromMachineSnapshot(resolved)),
          output: undefined,
        });
        expect(view(fromPersisted(persisted))).toEqual(view(restored.snapshot));
      }),
      { seed: 11, numRuns: 100 },
    );
  });

  it('names no leaf for a value that is not one, so restore falls back to XState and its checks', () => {
    const context = startOnboarding({ userId: 'u-1', seed: 1, now: 0 }).context;
    expect(compiledSnapshot('userCreated', context)).toBeUndefined();
    expect(compiledSnapshot({ userCreated: 'nowhere' }, context)).toBeUndefined();
    expect(compiledSnapshot({ userCreated: 'triggering', extra: 'x' }, context)).toBeUndefined();
    expect(compiledSnapshot(['verified'], context)).toBeUndefined();
    // XState resolves a compound state to its initial leaf; restore keeps that behaviour.
    const restored = restoreSnapshot(
      { value: 'userCreated', context: { ...context } },
      { userId: 'u-1', state: 'userCreated' },
    );
    expect(restored.ok && statePath(restored.snapshot)).toBe('userCreated.submittingKyc');
  });

  it('refuses a machine that uses what it does not model, so XState runs it instead', () => {
    const base = { initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } };
    const withStates = (states: Record<string, unknown>) => createMachine({ ...base, states } as never);
    expect(compileLeaves(createMachine(base as never))).not.toBeNull();
    expect(compileLeaves(createMachine({}))).toBeNull();
    expect(compileLeaves(withStates({ a: { entry: () => {}, on: { GO: 'b' } }, b: {} }))).toBeNull();
    expect(compileLeaves(withStates({ a: { exit: () => {} }, b: {} }))).toBeNull();
    expect(compileLeaves(withStates({ a: { always: 'b' }, b: {} }))).toBeNull();
    expect(compileLeaves(withStates({ a: { after: { 10: 'b' } }, b: {} }))).toBeNull();
    expect(compileLeaves(withStates({ a: { on: { '*': 'b' } }, b: {} }))).toBeNull();
    expect(
      compileLeaves(withStates({ a: { on: { GO: { target: 'b', guard: () => true } } }, b: {} })),
    ).toBeNull();
    expect(
      compileLeaves(withStates({ a: { on: { GO: { target: 'b', actions: 'unknownAction' } } }, b: {} })),
    ).toBeNull();
    expect(
      compileLeaves(withStates({ a: { type: 'parallel', states: { x: {}, y: {} } }, b: {} })),
    ).toBeNull();
    expect(
      compileLeaves(withStates({ a: { initial: 'x', states: { x: { type: 'final' } } }, b: {} })),
    ).toBeNull();
  });

  it('a compiled snapshot becomes a full XState snapshot where XState needs one', () => {
    const start = startOnboarding({ userId: 'u-1', seed: 1, now: 0 });
    const compiled = applyEvent(start, { type: 'POLICY_RECORDED', now: 5 });
    const machine = toMachineSnapshot(compiled);
    expect(machine.value).toEqual({ userCreated: 'submittingKyc' });
    expect(machine._nodes.map((n) => n.id)).toContain('onboarding.userCreated.submittingKyc');
    expect(
      onboardingMachine.getTransitionData(machine, { type: 'USER_UPSERTED', now: 6, created: true }),
    ).toHaveLength(1);
  });
});
