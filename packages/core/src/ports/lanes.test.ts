import { describe, expect, it } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { EFFECT_BUDGET, type StateMeta } from '../machine/effects.js';
import { onboardingMachine } from '../machine/machine.js';
import { TOP_LEVEL_STATES } from '../machine/snapshot.js';
import type { BudgetKind } from './crossmint.js';
import { LANE_STATES, LANES, type Lane } from './store.js';

function descendants(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states).flatMap((child) => [child, ...descendants(child)]);
}

/**
 * The budgets the calls of a top-level state spend: each `effect` its EFFECT_BUDGET, and a poll
 * wait a read, since it ends in getVerification.
 */
function budgetsOf(state: AnyStateNode): Set<BudgetKind> {
  const budgets = new Set<BudgetKind>();
  for (const node of [state, ...descendants(state)]) {
    const meta = node.meta as StateMeta | undefined;
    if (meta?.effect !== undefined) budgets.add(EFFECT_BUDGET[meta.effect]);
    if (meta?.wait === 'poll') budgets.add('read');
  }
  return budgets;
}

const machineStates = Object.entries(onboardingMachine.root.states).map(([name, node]) => ({
  name,
  budgets: [...budgetsOf(node)].sort(),
}));

const lanesOf = (state: string): Lane[] =>
  LANES.filter((lane) => (LANE_STATES[lane] as readonly string[]).includes(state));

describe('LANE_STATES, checked against the machine', () => {
  it("the machine's top-level states are TOP_LEVEL_STATES, and three of them call Crossmint", () => {
    expect(machineStates.map((s) => s.name).sort()).toEqual([...TOP_LEVEL_STATES].sort());
    expect(machineStates.filter((s) => s.budgets.length > 0).map((s) => s.name)).toEqual([
      'policyPending',
      'userCreated',
      'verificationPending',
    ]);
  });

  it.each(machineStates.filter((s) => s.budgets.length > 0))(
    '$name, whose calls spend $budgets, is in exactly the lane of that budget',
    ({ name, budgets }) => {
      // Two budgets in one state could not be one lane: the state would need splitting first.
      expect(budgets).toHaveLength(1);
      expect(lanesOf(name)).toEqual(budgets);
    },
  );

  it('no state without a call or a poll is in a lane', () => {
    const idle = machineStates.filter((s) => s.budgets.length === 0).map((s) => s.name);
    expect(idle.length).toBeGreaterThan(0);
    for (const name of idle) expect(lanesOf(name), name).toEqual([]);
  });

  it('every lane names only states of the machine, and LANES lists every lane', () => {
    expect(Object.keys(LANE_STATES).sort()).toEqual([...LANES].sort());
    const names = new Set(machineStates.map((s) => s.name));
    for (const lane of LANES)
      for (const state of LANE_STATES[lane]) expect(names.has(state), state).toBe(true);
  });
});
