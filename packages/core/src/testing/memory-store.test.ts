import { createMemoryStore } from './memory-store.js';
import { runStoreContract } from './store-contract.js';

runStoreContract('memory', async () => ({ store: createMemoryStore(), cleanup: async () => {} }));
