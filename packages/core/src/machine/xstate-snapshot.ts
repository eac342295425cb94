import type { SnapshotFrom } from 'xstate';
import { isCompiledSnapshot } from './compiled.js';
import { onboardingMachine } from './machine.js';
import type { OnboardingSnapshot } from './snapshot.js';

/** XState's type of an OnboardingSnapshot: every snapshot here was made by the machine's functions. */
export type MachineSnapshot = SnapshotFrom<typeof onboardingMachine>;

/** XState's snapshot of the same state: a compiled one is resolved by the machine. */
export function toMachineSnapshot(snapshot: OnboardingSnapshot): MachineSnapshot {
  if (!isCompiledSnapshot(snapshot)) return snapshot as unknown as MachineSnapshot;
  return onboardingMachine.resolveState({
    value: snapshot.value as MachineSnapshot['value'],
    context: snapshot.context,
    ...(snapshot.output !== undefined && { output: snapshot.output }),
  } as Parameters<typeof onboardingMachine.resolveState>[0]);
}

export const fromMachineSnapshot = (snapshot: MachineSnapshot) => snapshot as unknown as OnboardingSnapshot;
