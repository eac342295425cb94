export { CANARY, canaryRecord, sampleOnboarding, sampleRecord } from './fixtures.js';
export { createMemoryStore } from './memory-store.js';
export { runStoreContract, type StoreUnderTest } from './store-contract.js';
