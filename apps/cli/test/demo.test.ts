import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputRecord, isComplete, regionOf, requirementsFor } from '@kyc-handoff/core';
import { afterEach, describe, expect, it } from 'vitest';
import { demoUsers } from '../src/demo-users.js';
import { CONTROL, runCli, startWorld, type World } from './__test-utils__/cli.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('demo users', () => {
  it('include EU ID cards and non-US due diligence without income, and every normal one is complete', () => {
    const users = demoUsers(300);
    expect(demoUsers(300)).toEqual(users);
    const normal = users.filter((u) => u.kind === 'normal').map((u) => InputRecord.parse(u.record));
    const types = (r: InputRecord) => (r.documents ?? []).map((d) => d.documentType).sort();
    const idCards = normal.filter(
      (r) =>
        regionOf(r.userDetails?.countryOfResidence) === 'eu' &&
        types(r).join() === 'id-idcard-back,id-idcard-front,selfie-front',
    );
    const withoutIncome = normal.filter(
      (r) =>
        regionOf(r.userDetails?.countryOfResidence) !== 'us' &&
        r.dueDiligence !== undefined &&
        r.dueDiligence.estimatedYearlyIncome === undefined,
    );
    const nonUs = normal.filter((r) => regionOf(r.userDetails?.countryOfResidence) !== 'us');
    expect(idCards.length).toBeGreaterThanOrEqual(20);
    expect(withoutIncome.length).toBeGreaterThan(nonUs.length / 2);
    for (const record of normal) expect(isComplete(requirementsFor(record)), record.userId).toBe(true);
  });
});

describe('kyc-handoff demo', () => {
  it('runs 40 sample users to a summary without printing any personal data or key', async () => {
    world = await startWorld();
    const r = await runCli(['demo', '--users', '40'], {
      cwd: world.dir,
      env: { KYC_HANDOFF_ENCRYPTION_KEY: '' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Summary (sqlite:./kyc-handoff-demo.db)');
    expect(r.stdout).toMatch(/verified\s+\d+/);
    expect(r.stdout).toMatch(/pending\s+0/);
    expect(r.stdout).toContain('kyc-handoff status --store sqlite:./kyc-handoff-demo.db');
    expect(r.stderr).toContain('kyc-handoff-demo.db.key (mode 0600)');
    expect(r.stderr).toMatch(/line 8 \(user demo-00008\): invalid: kycData\.email/);
    expect(r.stderr).not.toMatch(CONTROL);

    const report = readFileSync(join(world.dir, 'kyc-handoff-demo.report.ndjson'), 'utf8');
    const everything = `${r.stdout}\n${r.stderr}\n${report}`;
    const secrets = demoUsers(40).flatMap((u) => u.secrets);
    expect(secrets.length).toBeGreaterThan(40);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/sk_staging_demo_[0-9a-f]/);

    const status = await runCli(['status', '--store', 'sqlite:./kyc-handoff-demo.db', '--json'], {
      cwd: world.dir,
      env: { KYC_HANDOFF_ENCRYPTION_KEY: '' },
    });
    expect(status.code, status.stderr).toBe(0);
    const counts = JSON.parse(status.stdout) as Record<string, number>;
    expect((counts.verified ?? 0) + (counts.rejected ?? 0) + (counts.requiresData ?? 0)).toBe(38);
  });
});
