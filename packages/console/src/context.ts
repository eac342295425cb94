import type { OnboardingStore } from '@kyc-handoff/core';
import type { Handoff } from '@kyc-handoff/engine';
import type { Readings } from './readings.js';
import type { ThroughputSamples } from './samples.js';

/** What every page reads from: the store (rows only, never records), the engine, a clock. */
export interface ConsoleContext {
  store: OnboardingStore;
  handoff: Handoff;
  now(): number;
  samples: ThroughputSamples;
  /** The aggregates pages show, stale-while-revalidate (see Reading). */
  readings: Readings;
  readOnly: boolean;
}
