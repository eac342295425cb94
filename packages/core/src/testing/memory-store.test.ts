import { createMemoryStore } from './memory-store.js';
import { runStoreContract } from './store-contract.js';

runStoreContract('memory', async () => {
  const store = createMemoryStore();
  return {
    store,
    cleanup: async () => {},
    tamper: {
      snapshot: async (userId) => store.tamper.snapshot(userId, { value: 7, context: 'x' }),
      record: async (userId) => store.tamper.record(userId, 'record-unreadable'),
    },
  };
});
