import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  API_KEY,
  CONTROL,
  MAIN,
  ndjson,
  runCli,
  startWorld,
  usRecord,
  type World,
} from './__test-utils__/cli.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const outcomeMix = () => [
  usRecord('u-1', 'Smith', 1),
  usRecord('u-2', 'Rejected', 2),
  usRecord('u-3', 'Incomplete', 3),
  usRecord('u-4', 'Jones', 4),
];

describe('kyc-handoff import', () => {
  it('imports NDJSON to the end and prints a JSON summary with the right counts', async () => {
    world = await startWorld();
    const file = join(world.dir, 'users.ndjson');
    writeFileSync(file, ndjson(outcomeMix()));
    const r = await runCli(['import', file, '--json', ...world.fast], { env: world.env });
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      total: 4,
      verified: 2,
      rejected: 1,
      requiresData: 1,
      failed: 0,
      invalid: 0,
      pending: 0,
    });
    expect(typeof summary.durationMs).toBe('number');
    expect(typeof summary.usersPerSecond).toBe('number');
    expect(r.stderr).not.toMatch(CONTROL);
    expect(`${r.stdout}${r.stderr}`).not.toContain('987-65-');
    expect(`${r.stdout}${r.stderr}`).not.toContain(API_KEY);
  });

  it('reads CSV with dotted headers, empty cells absent', async () => {
    world = await startWorld();
    const file = join(world.dir, 'users.csv');
    const header =
      'userId,privacyPolicyAcceptedAt,userDetails.firstName,userDetails.lastName,userDetails.dateOfBirth,userDetails.countryOfResidence,kycData.email,kycData.phoneNumber,kycData.addressOfResidence.line1,kycData.addressOfResidence.city,kycData.addressOfResidence.postalCode,kycData.addressOfResidence.stateOrRegion,kycData.identityDocument.type,kycData.identityDocument.number,kycData.identityDocument.issuingCountryCode,verificationHistory.idVerificationTimestamp,documents.0.documentType,documents.0.data';
    const row = (id: string, last: string, ssn: string) =>
      `${id},2026-01-01T00:00:00Z,Alice,${last},1990-01-15,US,${id}@example.invalid,,1 Main St,Miami,33156,FL,ssn,${ssn},US,2026-01-01T00:00:00Z,,`;
    writeFileSync(
      file,
      `${header}\n${row('c-1', 'Smith', '987-65-0001')}\n${row('c-2', 'Rejected', '987-65-0002')}\n`,
    );
    const r = await runCli(['import', file, '--json', ...world.fast], { env: world.env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ total: 2, verified: 1, rejected: 1, invalid: 0 });
  });

  it('reads NDJSON from stdin with -', async () => {
    world = await startWorld();
    const r = await runCli(['import', '-', '--json', ...world.fast], {
      env: world.env,
      cwd: world.dir,
      input: ndjson([usRecord('s-1'), usRecord('s-2', 'Smith', 2)]),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ total: 2, verified: 2 });
    expect(existsSync(join(world.dir, 'kyc-handoff-import.report.ndjson'))).toBe(true);
  });

  it('reports invalid lines with line number, user, field and reason (never the value) and imports the rest', async () => {
    world = await startWorld();
    const file = join(world.dir, 'mixed.ndjson');
    const badEmail = usRecord('bad-1', 'Smith', 7);
    (badEmail.kycData as Record<string, unknown>).email = 'secret-not-an-email';
    const noSections = { userId: 'bad-2', privacyPolicyAcceptedAt: '2026-01-01T00:00:00Z' };
    writeFileSync(
      file,
      [
        JSON.stringify(usRecord('ok-1')),
        '{not json',
        JSON.stringify(badEmail),
        '',
        JSON.stringify(noSections),
        JSON.stringify(usRecord('ok-2', 'Smith', 2)),
      ].join('\n'),
    );
    const r = await runCli(['import', file, '--json', ...world.fast], { env: world.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('line 2: invalid: (line) is not valid JSON');
    expect(r.stderr).toMatch(/line 3 \(user bad-1\): invalid: kycData\.email must be an email address/);
    expect(r.stderr).toMatch(/line 5 \(user bad-2\): incomplete/);
    expect(r.stderr).not.toContain('secret-not-an-email');
    const report = readFileSync(`${file}.report.ndjson`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(report.map((x) => x.line)).toEqual([2, 3, 5]);
    expect(report[1]).toMatchObject({
      userId: 'bad-1',
      status: 'invalid',
      issues: [{ field: 'kycData.email' }],
    });
    expect(JSON.stringify(report)).not.toContain('secret-not-an-email');
    expect(JSON.parse(r.stdout)).toMatchObject({ total: 5, invalid: 3, verified: 2 });
  });

  it('reports a changed record as a conflict and replaces it with --update', async () => {
    world = await startWorld();
    const file = join(world.dir, 'u.ndjson');
    writeFileSync(file, ndjson([usRecord('x-1')]));
    expect((await runCli(['import', file, ...world.fast], { env: world.env })).code).toBe(0);
    const changed = usRecord('x-1');
    (changed.userDetails as Record<string, unknown>).firstName = 'Alicia';
    writeFileSync(file, ndjson([changed]));
    const again = await runCli(['import', file, '--json', ...world.fast], { env: world.env });
    expect(again.stderr).toMatch(/line 1 \(user x-1\): conflict: .*--update/);
    expect(JSON.parse(again.stdout)).toMatchObject({ invalid: 1 });
    const updated = await runCli(['import', file, '--json', '--update', ...world.fast], { env: world.env });
    expect(JSON.parse(updated.stdout)).toMatchObject({ invalid: 0 });
  });

  it('--no-wait returns once every verification is triggered', async () => {
    world = await startWorld({ verifyAfterPolls: 3 });
    const file = join(world.dir, 'u.ndjson');
    writeFileSync(
      file,
      ndjson([usRecord('w-1'), usRecord('w-2', 'Smith', 2), usRecord('w-3', 'Pending', 3)]),
    );
    const r = await runCli(['import', file, '--json', '--no-wait', ...world.fast, '--poll-ms', '60000'], {
      env: world.env,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ total: 3, pending: 3, verified: 0 });
    for (const id of ['w-1', 'w-2', 'w-3'])
      expect(world.sandbox.user(API_KEY, `userId:${id}`)?.writes.trigger).toBe(1);
  });

  it('after a SIGKILL mid-import, a re-run finishes everyone without sending anyone different content', async () => {
    world = await startWorld({ latencyMs: 30 });
    const file = join(world.dir, 'crash.ndjson');
    const ids = Array.from({ length: 24 }, (_, i) => `k-${i}`);
    writeFileSync(file, ndjson(ids.map((id, i) => usRecord(id, 'Smith', i))));
    // Short leases: the killed run's claims expire quickly instead of after the default minute.
    const args = [MAIN, 'import', file, '--concurrency', '2', '--lease-ms', '1000', ...world.fast];
    const first = spawn(process.execPath, args, { env: { ...process.env, ...world.env }, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1_200));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('close', r));
    const sent = ids.filter((id) => world?.sandbox.user(API_KEY, `userId:${id}`) !== undefined).length;
    expect(sent).toBeGreaterThan(0);

    const again = await runCli(
      ['import', file, '--json', '--concurrency', '8', '--lease-ms', '1000', ...world.fast],
      {
        env: world.env,
      },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ total: 24, verified: 24, pending: 0 });
    for (const id of ids) {
      const user = world.sandbox.user(API_KEY, `userId:${id}`);
      expect(user).toBeDefined();
      for (const hashes of Object.values(user?.bodyHashes ?? {}))
        expect(hashes.length).toBeLessThanOrEqual(1);
    }
  });

  it('draws a progress bar on a terminal', async () => {
    world = await startWorld({ latencyMs: 5 });
    let hasScript = true;
    try {
      execFileSync('script', ['--version'], { stdio: 'ignore' });
    } catch {
      hasScript = false;
    }
    if (!hasScript) {
      console.warn('skipped: util-linux `script` is not installed, so no pseudo-terminal is available');
      return;
    }
    const file = join(world.dir, 'tty.ndjson');
    writeFileSync(file, ndjson(Array.from({ length: 12 }, (_, i) => usRecord(`t-${i}`, 'Smith', i))));
    const command = [process.execPath, MAIN, 'import', file, '--concurrency', '1', ...world.fast].join(' ');
    // Asynchronous on purpose: the sandbox lives in this process and must keep answering.
    const script = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...process.env, ...world.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    script.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => script.once('close', r));
    expect(code).toBe(0);
    expect(out).toMatch(/[█░]/);
    expect(out).toMatch(/users\/s/);
    expect(out).toContain('Summary');
  });
});
