import { randomBytes } from 'node:crypto';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import pg from 'pg';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../../src/index.js';

export const PG_URL = process.env.KYC_HANDOFF_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL cannot be used, or undefined when it can. The URL is not echoed: it may hold a password. */
async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const reason = await probe();
if (reason !== undefined) {
  // Under CI a missing server is a broken setup, not a reason to pass quietly.
  if (process.env.CI) {
    throw new Error(`PostgreSQL tests need a server (KYC_HANDOFF_TEST_PG) and CI is set: ${reason}`);
  }
  console.warn(
    `skipping PostgreSQL store tests: no server at KYC_HANDOFF_TEST_PG (default 127.0.0.1:5432/test): ${reason}`,
  );
}

/** False when the tests must be skipped (never under CI: there the import above throws). */
export const postgresAvailable = reason === undefined;

export const T0 = 1_750_000_000_000;

export function freshSchemaName(prefix = 'kh_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A connection string for the test database with its own application_name, to find its backends. */
export function urlWithApplicationName(name: string): string {
  const url = new URL(PG_URL);
  url.searchParams.set('application_name', name);
  return url.toString();
}

/** A small pool for the test's own SQL (inspecting tables, dropping schemas). */
export function adminPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  pool.on('error', () => undefined);
  return pool;
}

export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema.replaceAll('"', '""')}" CASCADE`);
}

export const testKeyring = parseKeyring(`test:${generateKey()}`);

/** Opens stores on fresh schemas and closes and drops all of them in `cleanup`. */
export function storeFactory() {
  const admin = adminPool();
  const stores: PostgresStore[] = [];
  const schemas = new Set<string>();
  return {
    admin,
    async open(
      options: Partial<Omit<PostgresStoreOptions, 'pool' | 'connectionString'>> & {
        connectionString?: string;
        pool?: pg.Pool;
      } = {},
    ): Promise<PostgresStore> {
      const schema = options.schema ?? freshSchemaName();
      const common = {
        schema,
        keyring: options.keyring ?? testKeyring,
        erasePersonalDataWhenTerminal: options.erasePersonalDataWhenTerminal ?? false,
      };
      const store = await openPostgresStore(
        options.pool !== undefined
          ? { ...common, pool: options.pool }
          : {
              ...common,
              connectionString: options.connectionString ?? PG_URL,
              poolSize: options.poolSize ?? 3,
            },
      );
      stores.push(store);
      schemas.add(schema);
      return store;
    },
    async cleanup(): Promise<void> {
      for (const store of stores.splice(0)) await store.close().catch(() => undefined);
      for (const schema of schemas) await dropSchema(admin, schema);
      schemas.clear();
    },
    async end(): Promise<void> {
      await admin.end();
    },
  };
}
