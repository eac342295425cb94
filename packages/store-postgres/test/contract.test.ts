import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { runStoreContract } from '@kyc-handoff/core/testing/contract';
import { afterAll, describe } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { freshSchemaName, postgresAvailable, storeFactory } from './__test-utils__/postgres.js';

describe.skipIf(!postgresAvailable)('postgres store', () => {
  const factory = storeFactory();
  afterAll(() => factory.end());

  // Each test gets a fresh, randomly named schema, dropped afterwards.
  runStoreContract(
    'postgres',
    async () => {
      const schema = freshSchemaName();
      const key = generateKey();
      let store: PostgresStore = await factory.open({ schema, keyring: parseKeyring(`k1:${key}`) });
      const table = (name: string) => `"${schema}".${name}`;
      return {
        store,
        keyId: 'k1',
        key,
        cleanup: () => factory.cleanup(),
        tamper: {
          // JSONB keeps PostgreSQL's bytes valid JSON: the damage that gets through is a wrong shape.
          snapshot: async (userId) => {
            await factory.admin.query(
              `UPDATE ${table('onboardings')} SET snapshot = '{"value": 7, "context": "x"}' WHERE user_id = $1`,
              [userId],
            );
          },
          record: async (userId) => {
            await factory.admin.query(
              `UPDATE ${table('records')} SET ciphertext = overlay(ciphertext placing
               (CASE WHEN substr(ciphertext, length(ciphertext) - 1, 1) = 'A' THEN 'B' ELSE 'A' END)
               from length(ciphertext) - 1 for 1) WHERE user_id = $1`,
              [userId],
            );
          },
        },
        reopen: async (keys) => {
          await store.close();
          store = await factory.open({ schema, keyring: parseKeyring(keys) });
          return store;
        },
      };
    },
    { encrypted: true },
  );
});
