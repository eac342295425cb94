// @kyc-handoff/core/machine: the XState machine itself, for the Stately inspector, diagrams and
// model-based tests. Its types are XState's, whose declarations do not compile with
// exactOptionalPropertyTypes unless skipLibCheck is on (statelyai/xstate#4613); the main entry
// declares none of them.
export { type OnboardingMachine, type OnboardingOutput, onboardingMachine } from './machine.js';
export { fromMachineSnapshot, type MachineSnapshot, toMachineSnapshot } from './xstate-snapshot.js';
