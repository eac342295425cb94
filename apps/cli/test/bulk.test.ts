// Operating a migration in bulk: supplies for many users from one file, retries by error kind.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { TINY_PNG } from '../src/demo-users.js';
import { API_KEY, ndjson, runCli, startWorld, usRecord, type World } from './__test-utils__/cli.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const PERSONAL = ['canary.', '987-65-', 'Alice', '1990-01-15', 'Miami'];
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');

async function importUsers(w: World, records: unknown[], extra: string[] = []) {
  const file = join(w.dir, 'users.ndjson');
  writeFileSync(file, ndjson(records));
  const r = await runCli(['import', file, '--json', ...w.fast, ...extra], { env: w.env });
  expect(r.code, r.stderr).toBe(0);
  return r;
}

async function states(w: World): Promise<Record<string, string>> {
  const r = await runCli(['export'], { env: w.env });
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { userId: string; state: string })
      .map((x) => [x.userId, x.state]),
  );
}

describe('kyc-handoff supply --file', () => {
  it('applies the good lines, reports each bad one with line, user and reason (never a value), then runs until idle', async () => {
    world = await startWorld();
    await importUsers(world, [
      usRecord('b-1', 'Incomplete', 1),
      usRecord('b-2', 'Incomplete', 2),
      usRecord('b-3', 'Incomplete', 3),
      usRecord('b-4', 'Smith', 4),
    ]);
    writeFileSync(join(world.dir, 'passport.png'), PNG);
    const supplies = join(world.dir, 'supplies.ndjson');
    writeFileSync(
      supplies,
      [
        JSON.stringify({ userId: 'b-1', documents: [{ documentType: 'id-passport', path: 'passport.png' }] }),
        '{"userId":"b-2", not json',
        JSON.stringify({ userId: 'b-4', documents: [{ documentType: 'id-passport', path: 'passport.png' }] }),
        JSON.stringify({
          userId: 'nobody',
          documents: [{ documentType: 'id-passport', path: 'passport.png' }],
        }),
        JSON.stringify({
          userId: 'b-2',
          documents: [{ documentType: 'canary-doc-type', path: 'passport.png' }],
        }),
        JSON.stringify({ documents: [{ documentType: 'id-passport', path: 'passport.png' }] }),
        '',
        JSON.stringify({ userId: 'b-3', documents: [{ documentType: 'id-passport', data: TINY_PNG }] }),
      ].join('\n'),
    );
    const r = await runCli(['supply', '--file', supplies, ...world.unlimited], { env: world.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('7 lines, 2 applied, 4 refused');
    expect(r.stdout).toContain('1 not waiting for data');
    expect(r.stderr).toMatch(/^line 2: invalid: \(line\) is not valid JSON$/m);
    expect(r.stderr).toMatch(/^line 3 \(user b-4\): not waiting for data: is verified, not requiresData$/m);
    expect(r.stderr).toMatch(/^line 4 \(user nobody\): refused: no onboarding for this user/m);
    expect(r.stderr).toMatch(/^line 5 \(user b-2\): refused: .*documents\.0\.documentType/m);
    expect(r.stderr).toMatch(/^line 6: invalid: userId is required/m);
    const report = readFileSync(`${supplies}.report.ndjson`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; status: string });
    expect(report.map((x) => [x.line, x.status])).toEqual([
      [2, 'invalid'],
      [3, 'not-waiting'],
      [4, 'refused'],
      [5, 'refused'],
      [6, 'invalid'],
    ]);
    expect(await states(world)).toEqual({
      'b-1': 'verified',
      'b-2': 'requiresData',
      'b-3': 'verified',
      'b-4': 'verified',
    });
    for (const text of [r.stdout, r.stderr, readFileSync(`${supplies}.report.ndjson`, 'utf8')]) {
      expect(text).not.toContain('canary-doc-type');
      expect(text).not.toContain(TINY_PNG.slice(-20));
      for (const value of PERSONAL) expect(text).not.toContain(value);
    }
  });

  it('reads CSV with a dotted header like import, and --json sums it up', async () => {
    world = await startWorld();
    await importUsers(world, [usRecord('c-1', 'Incomplete', 1), usRecord('c-2', 'Incomplete', 2)]);
    writeFileSync(join(world.dir, 'passport.png'), PNG);
    const supplies = join(world.dir, 'supplies.csv');
    writeFileSync(
      supplies,
      'userId,documents.0.documentType,documents.0.path\nc-1,id-passport,passport.png\nc-2,id-passport,passport.png\n',
    );
    const r = await runCli(['supply', '--file', supplies, '--json', ...world.unlimited], { env: world.env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      lines: 2,
      applied: 2,
      refused: 0,
      notWaiting: 0,
      verified: 2,
    });

    const bad = join(world.dir, 'bad.csv');
    writeFileSync(bad, 'documents.0.documentType,documents.0.path\nid-passport,passport.png\n');
    const refused = await runCli(['supply', '--file', bad, ...world.unlimited], { env: world.env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no userId column/);
  });

  it('USER_ID FILE.json and --file together, or neither, is one clear line', async () => {
    world = await startWorld();
    const both = await runCli(['supply', 'u-1', 'x.json', '--file', 'y.ndjson'], { env: world.env });
    expect(both.code).toBe(1);
    expect(both.stderr.trim()).toBe(
      'kyc-handoff: give either USER_ID FILE.json or --file SUPPLIES, not both',
    );
    const neither = await runCli(['supply'], { env: world.env });
    expect(neither.code).toBe(1);
    expect(neither.stderr).toMatch(/supply needs USER_ID FILE.json .* or --file SUPPLIES.ndjson/);
  });
});

describe('kyc-handoff retry --state failed', () => {
  /** Two users failed as not-enabled (project off, then on), one quarantined as an unreadable row. */
  async function failedUsers(): Promise<World> {
    const w = await startWorld({ kycDisabled: true });
    world = w;
    for (const id of ['rf-1', 'rf-2']) {
      const file = join(w.dir, `${id}.json`);
      writeFileSync(file, JSON.stringify(usRecord(id)));
      expect((await runCli(['onboard', file, ...w.fast], { env: w.env })).code).toBe(1);
    }
    w.sandbox.configure({ kycDisabled: false });
    await importUsers(w, [usRecord('rf-3', 'Pending', 3)], ['--no-wait']);
    const store = openSqliteStore({ path: join(w.dir, 'store.db'), keyring: parseKeyring(w.key) });
    store.raw.prepare('UPDATE onboardings SET snapshot = substr(snapshot, 2) WHERE user_id = ?').run('rf-3');
    await store.close();
    w.sandbox.forceStatus(API_KEY, 'userId:rf-3', 'verified');
    expect((await runCli(['resume', ...w.unlimited], { env: w.env })).code).toBe(0);
    expect(await states(w)).toEqual({ 'rf-1': 'failed', 'rf-2': 'failed', 'rf-3': 'failed' });
    return w;
  }

  it('--dry-run counts them by kind and changes nothing; --error-kind narrows; then the retry verifies', async () => {
    const w = await failedUsers();
    const storeOnly = { ...w.env, CROSSMINT_API_KEY: '', CROSSMINT_BASE_URL: '' };
    const all = await runCli(['retry', '--state', 'failed', '--dry-run'], { env: storeOnly });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^3 failed onboardings .* would be retried \(dry run; nothing changed\)$/m);
    expect(all.stdout).toMatch(/^\s+not-enabled\s+2$/m);
    expect(all.stdout).toMatch(/^\s+unreadable-row\s+1$/m);
    const quarantined = await runCli(
      ['retry', '--state', 'failed', '--error-kind', 'unreadable-row', '--dry-run'],
      {
        env: storeOnly,
      },
    );
    expect(quarantined.stdout).toMatch(/^1 failed onboarding .* would be retried/m);
    const none = await runCli(
      ['retry', '--state', 'failed', '--error-kind', 'transient,invalid-data', '--dry-run'],
      {
        env: storeOnly,
      },
    );
    expect(none.stdout).toMatch(/^0 failed onboardings/m);
    expect(await states(w)).toEqual({ 'rf-1': 'failed', 'rf-2': 'failed', 'rf-3': 'failed' });

    const plain = await runCli(['status'], { env: storeOnly });
    expect(plain.stdout).toMatch(/By last error \(kind\):\n\s+not-enabled\s+2/);

    const retried = await runCli(
      ['retry', '--state', 'failed', '--error-kind', 'not-enabled', ...w.unlimited],
      {
        env: w.env,
      },
    );
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/^retried 2 failed onboardings$/m);
    expect(await states(w)).toEqual({ 'rf-1': 'verified', 'rf-2': 'verified', 'rf-3': 'failed' });

    const rest = await runCli(['retry', '--state', 'failed', ...w.unlimited], { env: w.env });
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toMatch(/^retried 1 failed onboarding$/m);
    expect(await states(w)).toEqual({ 'rf-1': 'verified', 'rf-2': 'verified', 'rf-3': 'verified' });
  });

  it.each([
    [
      ['retry', '--state', 'failed', '--error-kind', 'bogus'],
      /--error-kind.*unknown kind; use a comma-separated list of rate-limited, transient/,
    ],
    [['retry', '--state', 'verified'], /--state.*Allowed choices are failed/],
    [['retry', 'u-1', '--state', 'failed'], /give either USER_ID or --state failed, not both/],
    [['retry', 'u-1', '--dry-run'], /--error-kind and --dry-run go with --state failed/],
    [['retry'], /retry needs USER_ID \(one user\) or --state failed/],
  ])('%j is one clear line and exit 1', async (args, message) => {
    world = await startWorld();
    const r = await runCli(args, { env: world.env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
