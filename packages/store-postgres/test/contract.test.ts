import { runStoreContract } from '@kyc-handoff/core/testing';
import { afterAll, describe } from 'vitest';
import { postgresAvailable, storeFactory } from './__test-utils__/postgres.js';

describe.skipIf(!postgresAvailable)('postgres store', () => {
  const factory = storeFactory();
  afterAll(() => factory.end());

  // Each test gets a fresh, randomly named schema, dropped afterwards.
  runStoreContract('postgres', async () => {
    const store = await factory.open();
    return { store, cleanup: () => factory.cleanup() };
  });
});
