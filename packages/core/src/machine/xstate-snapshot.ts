import type { SnapshotFrom } from 'xstate';
import type { onboardingMachine } from './machine.js';
import type { OnboardingSnapshot } from './snapshot.js';

/** XState's type of an OnboardingSnapshot: every snapshot here was made by the machine's functions. */
export type MachineSnapshot = SnapshotFrom<typeof onboardingMachine>;
export const toMachineSnapshot = (snapshot: OnboardingSnapshot) => snapshot as unknown as MachineSnapshot;
export const fromMachineSnapshot = (snapshot: MachineSnapshot) => snapshot as unknown as OnboardingSnapshot;
