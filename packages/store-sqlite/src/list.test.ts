import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIST_PAGE_MAX, type ListOptions } from '@kyc-handoff/core';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareList } from './list.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';
import { COUNTS_SQL, FEW_CHANGED_ROWS, listSql } from './statements.js';

const T0 = 1_750_000_000_000;
const ROWS = 60_000;
const STATES = ['verified', 'verificationPending', 'policyPending', 'verified', 'requiresData'] as const;

describe('sqlite store: list and the counts on many rows', () => {
  let dir: string;
  let store: SqliteStore;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kyc-handoff-list-'));
    store = openSqliteStore({ path: join(dir, 'store.db'), keyring: parseKeyring(`k1:${generateKey()}`) });
    // Mostly finished rows, many waiting or new, every one updated at its own time, the last 500
    // most recently: the shape of a store after an import.
    const insert = store.raw.prepare(`
      INSERT INTO onboardings (user_id, state, snapshot, machine_version, version, wake_at, last_error, outcome,
                               created_at, updated_at)
      VALUES (?, ?, ?, 1, 1, NULL, ?, ?, 0, ?)`);
    store.raw.transaction(() => {
      for (let i = 0; i < ROWS; i++) {
        const state = STATES[i % STATES.length]!;
        const failed = i % 50 === 0;
        const lastError = failed ? { kind: 'transient', step: 'pollStatus', message: 'status 503' } : null;
        const snapshot =
          state === 'requiresData'
            ? JSON.stringify({
                value: state,
                context: {
                  lastError,
                  requested: { missingData: ['kyc-data'], missingDocuments: i % 2 ? ['id'] : [] },
                },
              })
            : JSON.stringify({ value: 'x', context: { lastError } });
        insert.run(
          `u${String(i).padStart(6, '0')}`,
          state,
          snapshot,
          failed ? 'transient in pollStatus: status 503' : null,
          state === 'verified' ? 'verified' : null,
          T0 + i,
        );
      }
    })();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // better-sqlite3 runs no statement with a named parameter unbound; the plan ignores the values.
  const plan = (sql: string) => {
    const params = Object.fromEntries([...sql.matchAll(/@(\w+)/g)].map(([, name]) => [name, null]));
    return (store.raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[])
      .map((p) => p.detail)
      .join('\n');
  };

  it('each filter walks its index in user id order, several states merged, and sorts only the few changed rows', () => {
    const lists = prepareList(store.raw);
    const planOf = (options: ListOptions) => plan(listSql(lists.shapeOf(options)!));
    for (const analyzed of [false, true]) {
      if (analyzed) store.raw.exec('ANALYZE');
      expect(planOf({ after: 'u1', limit: 10 })).toBe(
        'SEARCH onboardings USING INDEX sqlite_autoindex_onboardings_1 (user_id>?)',
      );
      expect(planOf({ limit: 10 })).toBe('SCAN onboardings USING INDEX sqlite_autoindex_onboardings_1');
      expect(planOf({ states: ['requiresData'], after: 'u1', limit: 10 })).toBe(
        'SEARCH onboardings USING INDEX onboardings_state_user (state=? AND user_id>?)',
      );
      const three = planOf({ states: ['verified', 'requiresData', 'policyPending'], after: 'u1', limit: 10 });
      expect(three).toMatch(/^MERGE \(UNION ALL\)/);
      expect(
        three.match(/SEARCH onboardings USING INDEX onboardings_state_user \(state=\? AND user_id>\?\)/g),
      ).toHaveLength(3);
      expect(planOf({ outcome: 'verified', after: 'u1', limit: 10 })).toBe(
        'SEARCH onboardings USING INDEX onboardings_outcome (outcome=? AND user_id>?)',
      );
      // Most rows changed since T0: walk the user ids and skip the rest.
      expect(planOf({ changedSince: T0, limit: 10 })).toBe(
        'SCAN onboardings USING INDEX sqlite_autoindex_onboardings_1',
      );
      expect(planOf({ changedSince: T0, states: ['verified'], limit: 10 })).toBe(
        'SEARCH onboardings USING INDEX onboardings_state_user (state=?)',
      );
      // Few: read them by updated_at and sort them.
      expect(planOf({ changedSince: T0 + ROWS - 500, states: ['verified', 'failed'], limit: 10 })).toBe(
        'SEARCH onboardings USING INDEX onboardings_updated (updated_at>?)\nUSE TEMP B-TREE FOR ORDER BY',
      );
    }
    expect(lists.shapeOf({ states: [], limit: 10 })).toBeUndefined();
    expect(lists.shapeOf({ limit: 0 })).toBeUndefined();
    expect(FEW_CHANGED_ROWS).toBeLessThan(ROWS);
  });

  it('the few changed rows and the many are listed alike: every one, in user id order', async () => {
    const recent = await store.list({ changedSince: T0 + ROWS - 500, states: ['verified'], limit: 1_000 });
    expect(recent.map((r) => r.userId)).toEqual(
      Array.from({ length: 500 }, (_, k) => ROWS - 500 + k)
        .filter((i) => STATES[i % STATES.length] === 'verified')
        .map((i) => `u${String(i).padStart(6, '0')}`),
    );
    const many = await store.list({ changedSince: T0 + 1, after: 'u000010', limit: 3 });
    expect(many.map((r) => r.userId)).toEqual(['u000011', 'u000012', 'u000013']);
  });

  it(`a page holds at most ${LIST_PAGE_MAX} rows, whatever limit is asked for`, async () => {
    expect(await store.list({ limit: 50_000 })).toHaveLength(LIST_PAGE_MAX);
    expect(await store.list({ limit: Number.POSITIVE_INFINITY, after: 'u059990' })).toHaveLength(9);
    await expect(store.list({ limit: Number.NaN })).rejects.toThrow(/limit must be a number/);
  });

  it('the counts read only the rows with an error, and only the rows waiting for data', async () => {
    // The rows of the partial index only (last_error > NULL is every row of it), each looked up for
    // its snapshot's kind, and a sort of the kinds.
    expect(plan(COUNTS_SQL.errorKinds)).toMatch(
      /^(SCAN|SEARCH) onboardings USING INDEX onboardings_errors\b[^\n]*(\nUSE TEMP B-TREE FOR GROUP BY)?$/,
    );
    const requested = plan(COUNTS_SQL.requestedItems);
    expect(requested.match(/SEARCH o USING INDEX onboardings_state_user \(state=\?\)/g)).toHaveLength(2);
    expect(requested).not.toMatch(/SCAN o\b/);
    expect(plan('SELECT state, COUNT(*) AS n FROM onboardings GROUP BY state')).toBe(
      'SCAN onboardings USING COVERING INDEX onboardings_state_user',
    );
    expect(await store.countsByErrorKind()).toEqual({ transient: ROWS / 50 });
    expect(await store.countsByRequestedItem()).toEqual({
      'data:kyc-data': ROWS / 5,
      'document:id': ROWS / 10,
    });
  });

  it('a damaged snapshot of a row waiting for data is left out of the counts, not an error for all', async () => {
    store.raw.prepare('UPDATE onboardings SET snapshot = \'{"value":\' WHERE user_id = ?').run('u000004');
    expect((await store.countsByRequestedItem())['data:kyc-data']).toBe(ROWS / 5 - 1);
  });
});
