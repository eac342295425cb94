import { type Keyring, verifyKeyring } from '@kyc-handoff/core/crypto';
import type { ClientBase } from 'pg';
import { quoteIdent } from './identifiers.js';

/** Serialises the key checks of workers opening one schema at once (the first check wins). */
const LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('kyc_handoff.key_checks'), hashtext($1))";

/**
 * Refuses a keyring that cannot open this schema's records (KeyringMismatchError) and records the
 * checks of the keys it newly relies on, in one transaction under an advisory lock.
 */
export async function checkKeyring(
  client: ClientBase,
  schema: string,
  keyring: Keyring,
  now: number,
): Promise<void> {
  const s = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    await client.query(LOCK_SQL, [schema]);
    const checks = (
      await client.query<{ keyId: string; check: string }>(
        `SELECT key_id AS "keyId", key_check AS "check" FROM ${s}.key_checks`,
      )
    ).rows;
    const checked = new Set(checks.map((c) => c.keyId));
    // A skip scan of records_by_key: one index probe per key id, not a pass over every record.
    const ids = (
      await client.query<{ id: string }>(`
        WITH RECURSIVE k(id) AS (
          SELECT (SELECT min(key_id) FROM ${s}.records)
          UNION ALL
          SELECT (SELECT min(key_id) FROM ${s}.records WHERE key_id > k.id) FROM k WHERE k.id IS NOT NULL
        )
        SELECT id FROM k WHERE id IS NOT NULL`)
    ).rows.map((r) => r.id);
    const inUse = [];
    for (const keyId of ids) {
      const sample = checked.has(keyId)
        ? undefined
        : (
            await client.query<{ userId: string; ciphertext: string }>(
              `SELECT user_id AS "userId", ciphertext FROM ${s}.records WHERE key_id = $1 LIMIT 1`,
              [keyId],
            )
          ).rows[0];
      inUse.push({ keyId, sample });
    }
    for (const c of verifyKeyring(keyring, checks, inUse)) {
      await client.query(
        `INSERT INTO ${s}.key_checks (key_id, key_check, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (key_id) DO NOTHING`,
        [c.keyId, c.check, now],
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
