import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
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

/** Onboardings in the world's store, by state (read after the CLI exited). */
async function stored(w: World): Promise<Record<string, number>> {
  const store = openSqliteStore({ path: join(w.dir, 'store.db'), keyring: parseKeyring(w.key) });
  try {
    return await store.countsByState();
  } finally {
    await store.close();
  }
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

const CSV_HEADER =
  'userId,privacyPolicyAcceptedAt,userDetails.firstName,userDetails.lastName,userDetails.dateOfBirth,userDetails.countryOfResidence,kycData.email,kycData.nationality,kycData.addressOfResidence.line1,kycData.addressOfResidence.city,kycData.addressOfResidence.postalCode,kycData.addressOfResidence.stateOrRegion,kycData.identityDocument.type,kycData.identityDocument.number,kycData.identityDocument.issuingCountryCode,verificationHistory.idVerificationTimestamp,verificationHistory.livenessVerificationTimestamp';
const csvRow = (id: string, n: number, firstName = 'Alice') =>
  `${id},2026-01-01T00:00:00Z,${firstName},Smith,1990-01-15,US,canary.${id}@example.invalid,US,701 S Miami Ave,Miami,33156,FL,ssn,987-65-${String(1000 + n).slice(-4)},US,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z`;

const outcomeMix = () => [
  usRecord('u-1', 'Smith', 1),
  usRecord('u-2', 'Rejected', 2),
  usRecord('u-3', 'Incomplete', 3),
  usRecord('u-4', 'Jones', 4),
];

describe('kyc-handoff import', () => {
  it.each([
    ['in its own thread', []],
    ['on a worker thread (--http-thread)', ['--http-thread']],
  ])(
    'imports NDJSON to the end and prints a JSON summary with the right counts, HTTP %s',
    async (_how, flags) => {
      world = await startWorld();
      const file = join(world.dir, 'users.ndjson');
      writeFileSync(file, ndjson(outcomeMix()));
      const r = await runCli(['import', file, '--json', ...flags, ...world.fast], { env: world.env });
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
    },
  );

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
    // HTTP on a worker thread in the killed run: the thread dies with its process and loses nothing.
    const args = [
      MAIN,
      'import',
      file,
      '--concurrency',
      '2',
      '--lease-ms',
      '1000',
      '--http-thread',
      ...world.fast,
    ];
    const first = spawn(process.execPath, args, { env: { ...process.env, ...world.env }, stdio: 'ignore' });
    const sentSoFar = () =>
      ids.filter((id) => world?.sandbox.user(API_KEY, `userId:${id}`) !== undefined).length;
    // Killed once the first users reached Crossmint, however slowly a loaded machine starts the
    // process (a fixed 1.2 s once killed it before it had sent anything).
    for (let waited = 0; sentSoFar() === 0 && waited < 30_000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    first.kill('SIGKILL');
    await new Promise((r) => first.once('close', r));
    const sent = sentSoFar();
    expect(sent).toBeGreaterThan(0);
    expect(sent, 'the kill must land mid-import').toBeLessThan(ids.length);

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

  it('a CSV syntax error stops the import at its line and keeps every record read before it', async () => {
    world = await startWorld();
    const file = join(world.dir, 'broken.csv');
    const rows = Array.from({ length: 600 }, (_, i) => csvRow(`q-${i}`, i));
    // Line 602: the quote opened in firstName never closes, so the rest of the file is one field.
    const broken = csvRow('q-broken', 600, '"Quillonia');
    writeFileSync(file, `${[CSV_HEADER, ...rows, broken, csvRow('q-after', 601)].join('\n')}\n`);
    const r = await runCli(['import', file, '--json', ...world.fast], { env: world.env });
    expect(r.code).toBe(1);
    expect(total(await stored(world))).toBe(600);
    expect(r.stderr).toContain('read 600 records: 600 new');
    expect(r.stderr).toMatch(/the quote opened in the record at line 602 is never closed/);
    expect(r.stderr).toMatch(/re-run the import/);
    expect(`${r.stdout}${r.stderr}`).not.toContain('Quillonia');
    expect(`${r.stdout}${r.stderr}`).not.toContain('987-65-');
  });

  it('a CSV header naming a column twice is refused before any record is submitted', async () => {
    world = await startWorld();
    const file = join(world.dir, 'dup.csv');
    writeFileSync(file, `${CSV_HEADER},kycData.email\n${csvRow('d-1', 1)},canary.other@example.invalid\n`);
    const r = await runCli(['import', file, '--json', ...world.fast], { env: world.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('column "kycData.email" appears twice in the header (columns 7 and 18)');
    expect(total(await stored(world))).toBe(0);
    expect(world.sandbox.stats().total).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain('canary.');
  });

  it('refusals are reported in line order, whether found while reading or at submit', async () => {
    world = await startWorld();
    const file = join(world.dir, 'order.ndjson');
    const badEmail = usRecord('o-1', 'Smith', 1);
    (badEmail.kycData as Record<string, unknown>).email = 'not-an-email';
    const [before, after] = JSON.stringify(usRecord('o-4', 'Smith', 4)).split('Alice');
    const utf8 = Buffer.concat([Buffer.from(`${before}Ali`), Buffer.from([0xff]), Buffer.from(after ?? '')]);
    const lines = [
      Buffer.from(JSON.stringify(badEmail)),
      Buffer.from('{not json'),
      Buffer.from(JSON.stringify({ userId: 'o-3', privacyPolicyAcceptedAt: '2026-01-01T00:00:00Z' })),
      utf8,
      Buffer.from('[]'),
      Buffer.from(JSON.stringify(usRecord('o-6', 'Smith', 6))),
    ];
    writeFileSync(file, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
    const r = await runCli(['import', file, '--json', ...world.fast], { env: world.env });
    expect(r.code, r.stderr).toBe(0);
    const report = readFileSync(`${file}.report.ndjson`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; userId?: string; issues?: unknown[] });
    expect(report.map((x) => x.line)).toEqual([1, 2, 3, 4, 5]);
    expect(report[3]).toMatchObject({
      userId: 'o-4',
      issues: [{ field: 'userDetails.firstName', reason: 'is not valid UTF-8' }],
    });
    const order = [...r.stderr.matchAll(/^line (\d+)/gm)].map((m) => Number(m[1]));
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  describe('the report file', () => {
    const importWithReport = (w: World, report: string, extra: { uid?: number; gid?: number } = {}) => {
      const file = join(w.dir, 'users.ndjson');
      writeFileSync(file, `{not json\n${ndjson([usRecord('r-1')])}`);
      return runAs([MAIN, 'import', file, '--report', report, '--json', ...w.fast], w.env, extra);
    };

    it.each([
      [
        'is in a directory that does not exist',
        (dir: string) => join(dir, 'missing', 'r.ndjson'),
        /does not exist/,
      ],
      ['is a directory', (dir: string) => dir, /is a directory/],
      [
        'is a symbolic link',
        (dir: string) => {
          writeFileSync(join(dir, 'target'), 'keep me');
          symlinkSync(join(dir, 'target'), join(dir, 'link.ndjson'));
          return join(dir, 'link.ndjson');
        },
        /symbolic link/,
      ],
    ])(
      'a report path that %s is refused before the store is opened or a record read',
      async (_, path, why) => {
        world = await startWorld();
        const report = path(world.dir);
        const r = await importWithReport(world, report);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(
          new RegExp(`^kyc-handoff: cannot write the report ${report}: .*${why.source}`, 'm'),
        );
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(existsSync(join(world.dir, 'store.db'))).toBe(false);
        expect(world.sandbox.stats().total).toBe(0);
        if (existsSync(join(world.dir, 'target')))
          expect(readFileSync(join(world.dir, 'target'), 'utf8')).toBe('keep me');
      },
    );

    // Root writes anywhere, so the test runs the CLI as nobody, who must be able to reach the build:
    // a checkout under a 0700 folder (`mktemp -d`) is out of nobody's reach, and the CLI would not start.
    const asRoot = process.getuid?.() === 0;
    const nobodyReachesCli =
      !asRoot ||
      spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(MAIN)})`], {
        uid: 65534,
        gid: 65534,
      }).status === 0;
    if (!nobodyReachesCli) {
      console.warn(
        `skipping the unwritable-report test: run as root from a checkout user nobody cannot read (${MAIN}); clone into a world-readable folder to run it`,
      );
    }

    it.skipIf(!nobodyReachesCli)(
      'a report path without write permission is refused before the store is opened',
      async () => {
        world = await startWorld();
        const locked = join(world.dir, 'locked');
        mkdirSync(locked, { mode: 0o555 });
        chmodSync(locked, 0o555);
        // Root writes anywhere: run the CLI as nobody, who may read the input but not write there.
        const asNobody = asRoot ? { uid: 65534, gid: 65534 } : {};
        chmodSync(world.dir, 0o755);
        const r = await importWithReport(world, join(locked, 'r.ndjson'), asNobody);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/cannot write the report .*locked\/r\.ndjson: permission denied/);
        expect(existsSync(join(world.dir, 'store.db'))).toBe(false);
      },
    );

    it('an existing report is emptied and left readable by its owner only; a new one is created so', async () => {
      world = await startWorld();
      const old = join(world.dir, 'old.report.ndjson');
      writeFileSync(old, '{"line":99,"status":"invalid"}\n'.repeat(50), { mode: 0o644 });
      chmodSync(old, 0o644);
      const r = await importWithReport(world, old);
      expect(r.code, r.stderr).toBe(0);
      expect(statSync(old).mode & 0o777).toBe(0o600);
      expect(
        readFileSync(old, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).line),
      ).toEqual([1]);

      const fresh = join(world.dir, 'fresh.report.ndjson');
      expect((await importWithReport(world, fresh)).code).toBe(0);
      expect(statSync(fresh).mode & 0o777).toBe(0o600);
    });
  });
});

/** Like runCli, with the user to run as (runCli has no such option). */
function runAs(
  args: string[],
  env: Record<string, string>,
  user: { uid?: number; gid?: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, ...user });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}
