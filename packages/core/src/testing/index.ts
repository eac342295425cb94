// Test doubles and fixtures for embedders' tests; nothing here needs a test runner. The store
// contract suite, which needs vitest, is @kyc-handoff/core/testing/contract.
export {
  CANARY,
  canaryRecord,
  sampleEuRecord,
  sampleOnboarding,
  sampleRecord,
  TINY_PNG_DATA_URL,
} from './fixtures.js';
export { createMemoryStore, type MemoryStore } from './memory-store.js';
