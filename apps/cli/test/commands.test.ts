import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TINY_PNG } from '../src/demo-users.js';
import { ndjson, requireBuild, runCli, startWorld, usRecord, type World } from './__test-utils__/cli.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

function recordFile(w: World, name: string, record: unknown): string {
  const file = join(w.dir, name);
  writeFileSync(file, JSON.stringify(record));
  return file;
}

describe('kyc-handoff onboard', () => {
  it.each([
    ['Smith', 0, 'verified'],
    ['Rejected', 2, 'rejected'],
    ['Incomplete', 3, 'requires more'],
  ])('a user named %s exits %i', async (lastName, code, words) => {
    world = await startWorld();
    const file = recordFile(world, 'one.json', usRecord('o-1', lastName));
    const r = await runCli(['onboard', file, ...world.fast], { env: world.env });
    expect(r.code, r.stderr).toBe(code);
    expect(r.stdout).toMatch(/policyPending\S* → \S+ \(POLICY_RECORDED\)/);
    expect(r.stdout).toContain(words);
    expect(r.stdout).not.toContain('canary.o-1');
  });

  it('refuses an invalid record in one line naming the field', async () => {
    world = await startWorld();
    const bad = usRecord('o-2');
    (bad.userDetails as Record<string, unknown>).dateOfBirth = '15/01/1990';
    const r = await runCli(['onboard', recordFile(world, 'bad.json', bad), ...world.fast], {
      env: world.env,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('userDetails.dateOfBirth');
    expect(r.stderr).not.toContain('15/01/1990');
  });
});

describe('kyc-handoff status', () => {
  it('shows counts, and one user as a table or JSON', async () => {
    world = await startWorld();
    await runCli(['onboard', recordFile(world, 'a.json', usRecord('st-1')), ...world.fast], {
      env: world.env,
    });
    await runCli(['onboard', recordFile(world, 'b.json', usRecord('st-2', 'Rejected', 2)), ...world.fast], {
      env: world.env,
    });
    const noNetwork = { ...world.env, CROSSMINT_API_KEY: '', CROSSMINT_BASE_URL: '' };
    const counts = await runCli(['status'], { env: noNetwork });
    expect(counts.code, counts.stderr).toBe(0);
    expect(counts.stdout).toMatch(/verified\s+1/);
    expect(counts.stdout).toMatch(/rejected\s+1/);
    const one = await runCli(['status', 'st-1'], { env: noNetwork });
    expect(one.stdout).toMatch(/state\s+verified/);
    expect(one.stdout).toMatch(/eligibility\s+.*offramp=verified/);
    expect(one.stdout).toContain('journal');
    const json = JSON.parse((await runCli(['status', 'st-2', '--json'], { env: noNetwork })).stdout);
    expect(json).toMatchObject({ userId: 'st-2', state: 'rejected', outcome: 'rejected' });
    expect(JSON.stringify(json)).not.toContain('canary');
    const missing = await runCli(['status', 'nobody'], { env: noNetwork });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no onboarding for user nobody');
  });

  it("shows a user under review's poll interval at the read budget the runs use (--reads-per-min)", async () => {
    const w = await startWorld();
    world = w;
    const file = join(w.dir, 'pending.ndjson');
    writeFileSync(file, ndjson(Array.from({ length: 6 }, (_, i) => usRecord(`pi-${i}`, 'Pending', 40 + i))));
    const imported = await runCli(['import', file, '--no-wait', '--json', ...w.fast], { env: w.env });
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toHaveProperty('pollIntervalMs');
    const at = async (...flags: string[]) =>
      JSON.parse((await runCli(['status', 'pi-0', '--json', ...flags], { env: w.env })).stdout) as {
        state: string;
        pollIntervalMs: number | null;
      };
    // 6 users under review at 60 reads a minute: a poll of each every 6 s at the limit, a little
    // more at the pace the engine keeps just under it; at the default 360, a sixth of that.
    const slow = await at('--reads-per-min', '60');
    expect(slow.state).toBe('verificationPending');
    expect(slow.pollIntervalMs).toBeGreaterThanOrEqual(6_000);
    expect(slow.pollIntervalMs).toBeLessThan(6_500);
    expect(slow.pollIntervalMs! / (await at()).pollIntervalMs!).toBeCloseTo(6, 1);
    expect((await at('--reads-per-min', '0')).pollIntervalMs).toBeNull();
  });

  it('asks for the encryption key in one line when it is missing', async () => {
    world = await startWorld();
    const r = await runCli(['status'], { env: { ...world.env, KYC_HANDOFF_ENCRYPTION_KEY: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/KYC_HANDOFF_ENCRYPTION_KEY.*openssl rand -base64 32/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('kyc-handoff supply and retry', () => {
  it('supplying a passport to an Incomplete user gets it verified', async () => {
    world = await startWorld();
    const first = await runCli(
      ['onboard', recordFile(world, 'i.json', usRecord('sp-1', 'Incomplete')), ...world.fast],
      {
        env: world.env,
      },
    );
    expect(first.code).toBe(3);
    const more = recordFile(world, 'more.json', {
      documents: [{ documentType: 'id-passport', data: TINY_PNG }],
    });
    const r = await runCli(['supply', 'sp-1', more, ...world.unlimited], { env: world.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('DATA_SUPPLIED');
    expect(r.stdout).toContain('sp-1: verified');
  });

  it('a project that is not enabled stops with one clear line; retry after enabling verifies', async () => {
    world = await startWorld({ kycDisabled: true });
    const r = await runCli(['onboard', recordFile(world, 'r.json', usRecord('rt-1')), ...world.fast], {
      env: world.env,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not enabled for the users KYC endpoints');
    world.sandbox.configure({ kycDisabled: false });
    const retried = await runCli(['retry', 'rt-1', ...world.unlimited], { env: world.env });
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain('rt-1: verified');
  });
});

describe('kyc-handoff diagram', () => {
  it.each([
    ['mermaid', (t: string) => expect(t.startsWith('stateDiagram-v2')).toBe(true)],
    ['dot', (t: string) => expect(t.startsWith('digraph')).toBe(true)],
    ['json', (t: string) => expect(JSON.parse(t)).toHaveProperty('states')],
    [
      'svg',
      (t: string) => {
        expect(t.trimStart()).toMatch(/^(<\?xml|<svg|<!DOCTYPE svg)/);
        expect(t.trimEnd().endsWith('</svg>')).toBe(true);
        expect((t.match(/<g\b/g) ?? []).length).toBe((t.match(/<\/g>/g) ?? []).length);
      },
    ],
  ])('prints %s that parses', async (format, check) => {
    requireBuild();
    const r = await runCli(['diagram', '--format', format], { env: {} });
    expect(r.code, r.stderr).toBe(0);
    check(r.stdout);
  });
});

describe('--help', () => {
  it.each([
    'demo',
    'import',
    'onboard',
    'resume',
    'worker',
    'status',
    'supply',
    'retry',
    'diagram',
    'sandbox',
  ])('%s --help exits 0 with defaults and an example', async (name) => {
    world = await startWorld();
    const r = await runCli([name, '--help'], { env: {} });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Example:');
    // Commander wraps descriptions to the terminal's width: compare the words, not the line breaks.
    const words = r.stdout.replace(/\s+/g, ' ');
    if (name !== 'sandbox') expect(words).toContain('default: "sqlite:./kyc-handoff.db"');
  });
});

describe('personal data retention', () => {
  it('--erase-when-terminal deletes the stored record once the user is verified', async () => {
    world = await startWorld();
    const file = recordFile(world, 'erase.json', usRecord('er-1'));
    const r = await runCli(['onboard', file, '--erase-when-terminal', ...world.fast], { env: world.env });
    expect(r.code, r.stderr).toBe(0);
    const { openSqliteStore } = await import('@kyc-handoff/store-sqlite');
    const { parseKeyring } = await import('@kyc-handoff/core/crypto');
    const store = openSqliteStore({ path: join(world.dir, 'store.db'), keyring: parseKeyring(world.key) });
    try {
      expect((await store.get('er-1'))?.state).toBe('verified');
      expect(await store.loadRecord('er-1')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
