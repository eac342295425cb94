export {
  CANARY,
  canaryRecord,
  sampleEuRecord,
  sampleOnboarding,
  sampleRecord,
  TINY_PNG_DATA_URL,
} from './fixtures.js';
export { createMemoryStore } from './memory-store.js';
export { runStoreContract, type StoreUnderTest } from './store-contract.js';
