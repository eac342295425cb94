import { lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { TINY_PNG } from '../src/demo-users.js';
import { ndjson, runCli, startWorld, usRecord, type World } from './__test-utils__/cli.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Every personal value of usRecord (its canary email and SSN among them). */
const PERSONAL = ['canary.', '987-65-', 'Alice', '1990-01-15', '701 S Miami Ave', 'Miami', '33156'];

/** Two verified, one rejected, one waiting for an id document. */
async function migrated(w: World): Promise<void> {
  const file = join(w.dir, 'users.ndjson');
  writeFileSync(
    file,
    ndjson([
      usRecord('ex-1'),
      usRecord('ex-2', 'Rejected', 2),
      usRecord('ex-3', 'Incomplete', 3),
      usRecord('ex-4', 'Smith', 4),
    ]),
  );
  const r = await runCli(['import', file, '--json', ...w.fast], { env: w.env });
  expect(r.code, r.stderr).toBe(0);
}

/** The store alone: export, like status, needs no Crossmint endpoint or key. */
const storeOnly = (w: World) => ({ ...w.env, CROSSMINT_API_KEY: '', CROSSMINT_BASE_URL: '' });

const lines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('kyc-handoff export', () => {
  it('writes one NDJSON line per onboarding with every field, and its counts match status', async () => {
    world = await startWorld();
    await migrated(world);
    const r = await runCli(['export'], { env: storeOnly(world) });
    expect(r.code, r.stderr).toBe(0);
    const rows = lines(r.stdout);
    expect(rows.map((x) => x.userId)).toEqual(['ex-1', 'ex-2', 'ex-3', 'ex-4']);
    expect(Object.keys(rows[0] ?? {})).toEqual([
      'userId',
      'state',
      'statePath',
      'outcome',
      'eligibility',
      'missingData',
      'missingDocuments',
      'attempts',
      'errorKind',
      'failureReason',
      'createdAt',
      'updatedAt',
    ]);
    expect(rows[0]).toMatchObject({
      state: 'verified',
      outcome: 'verified',
      eligibility: { offramp: 'verified' },
    });
    expect(rows[1]).toMatchObject({ state: 'rejected', outcome: 'rejected' });
    expect(rows[2]).toMatchObject({ state: 'requiresData', outcome: null, missingDocuments: ['id'] });
    expect(String(rows[2]?.statePath)).toMatch(/^requiresData/);
    for (const row of rows) {
      expect(row.createdAt).toMatch(ISO);
      expect(row.updatedAt).toMatch(ISO);
      expect(typeof row.attempts).toBe('number');
    }
    expect(r.stderr).toContain('exported 4 onboardings');

    const status = JSON.parse((await runCli(['status', '--json'], { env: storeOnly(world) })).stdout);
    const exported: Record<string, number> = {};
    for (const row of rows) exported[row.state as string] = (exported[row.state as string] ?? 0) + 1;
    for (const [state, n] of Object.entries(status)) {
      if (typeof n === 'number') expect(exported[state] ?? 0, state).toBe(n);
    }
    expect(Object.values(exported).reduce((a, b) => a + b, 0)).toBe(4);
    for (const value of PERSONAL) expect(r.stdout).not.toContain(value);
  });

  it('writes CSV to --out: a header, eligibility.<product> columns, lists joined with ;, the file 0600', async () => {
    world = await startWorld();
    await migrated(world);
    const out = join(world.dir, 'onboardings.csv');
    const r = await runCli(['export', '--format', 'csv', '--out', out], { env: storeOnly(world) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const text = readFileSync(out, 'utf8');
    const header = text.split('\n')[0]?.split(',');
    expect(header).toEqual(
      expect.arrayContaining([
        'userId',
        'state',
        'statePath',
        'outcome',
        'eligibility.offramp',
        'eligibility.onramp',
      ]),
    );
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatchObject({
      userId: 'ex-1',
      state: 'verified',
      'eligibility.offramp': 'verified',
      outcome: 'verified',
    });
    expect(rows[2]).toMatchObject({
      userId: 'ex-3',
      state: 'requiresData',
      outcome: '',
      missingDocuments: 'id',
    });
    expect(rows[0]?.createdAt).toMatch(ISO);
    for (const value of PERSONAL) expect(text).not.toContain(value);
  });

  it('filters by --state, --outcome and --changed-since, in both formats', async () => {
    world = await startWorld();
    await migrated(world);
    const env = storeOnly(world);
    const ids = async (args: string[]) => {
      const r = await runCli(['export', ...args], { env });
      expect(r.code, r.stderr).toBe(0);
      return lines(r.stdout).map((x) => x.userId);
    };
    expect(await ids(['--state', 'requiresData'])).toEqual(['ex-3']);
    expect(await ids(['--state', 'rejected,requiresData'])).toEqual(['ex-2', 'ex-3']);
    expect(await ids(['--outcome', 'verified'])).toEqual(['ex-1', 'ex-4']);
    expect(await ids(['--outcome', 'rejected'])).toEqual(['ex-2']);
    expect(await ids(['--state', 'verified', '--outcome', 'rejected'])).toEqual([]);
    expect(await ids(['--changed-since', '2000-01-01'])).toHaveLength(4);
    expect(await ids(['--changed-since', '2999-01-01T00:00:00Z'])).toEqual([]);

    // One user moves after `since`: only that one has changed since.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const more = join(world.dir, 'more.json');
    writeFileSync(more, JSON.stringify({ documents: [{ documentType: 'id-passport', data: TINY_PNG }] }));
    const supplied = await runCli(['supply', 'ex-3', more, ...world.unlimited], { env: world.env });
    expect(supplied.code, supplied.stderr).toBe(0);
    expect(await ids(['--changed-since', since])).toEqual(['ex-3']);

    const csv = await runCli(
      ['export', '--format', 'csv', '--changed-since', since, '--outcome', 'verified'],
      { env },
    );
    expect(csv.code, csv.stderr).toBe(0);
    expect((parse(csv.stdout, { columns: true }) as { userId: string }[]).map((x) => x.userId)).toEqual([
      'ex-3',
    ]);
    const none = await runCli(['export', '--format', 'csv', '--state', 'failed'], { env });
    expect(none.stdout.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    ['--state', 'finished', /--state.*unknown state; use a comma-separated list of policyPending/],
    ['--outcome', 'approved', /--outcome.*Allowed choices are verified, rejected/],
    ['--changed-since', 'yesterday', /--changed-since.*must be an ISO 8601 date or time with a zone/],
    ['--changed-since', '2026-03-01T12:00:00', /--changed-since.*with a zone/],
    ['--format', 'xlsx', /--format.*Allowed choices are ndjson, csv/],
  ])('%s %s is one clear line and exit 1', async (flag, value, message) => {
    world = await startWorld();
    const r = await runCli(['export', flag, value], { env: storeOnly(world) });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('--out refuses a symbolic link before the store is opened, and leaves its target alone', async () => {
    world = await startWorld();
    const target = join(world.dir, 'target.csv');
    writeFileSync(target, 'keep me');
    const link = join(world.dir, 'link.csv');
    symlinkSync(target, link);
    const r = await runCli(['export', '--out', link], { env: storeOnly(world) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^kyc-handoff: cannot write the export .*link\.csv: it is a symbolic link.*--out/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(() => statSync(join(world?.dir ?? '', 'store.db'))).toThrow();
  });
});

describe('kyc-handoff status, why users wait', () => {
  it('--json adds errorKinds and requestedItems next to the counts; the plain one prints them', async () => {
    world = await startWorld();
    await migrated(world);
    const json = JSON.parse((await runCli(['status', '--json'], { env: storeOnly(world) })).stdout);
    expect(json).toMatchObject({ verified: 2, rejected: 1, requiresData: 1 });
    expect(json.requestedItems).toEqual({ 'document:id': 1 });
    expect(json.errorKinds).toEqual({});
    const plain = await runCli(['status'], { env: storeOnly(world) });
    expect(plain.stdout).toMatch(/Waiting for data, by what Crossmint asked for:\n\s+document:id\s+1/);
    expect(plain.stdout).not.toContain('By last error');
  });
});
