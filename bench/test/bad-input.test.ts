// A corpus of malformed records through the built CLI's `import`: each bad record gets a clear
// per-record refusal (line, field, reason, never the value) and the valid records around it finish.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { sampleRecord } from '@kyc-handoff/core/testing';
import { createSandbox, type Sandbox } from '@kyc-handoff/sandbox';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/lib/proc.js';
import { API_KEY } from '../src/lib/records.js';
import { ENCRYPTION_KEY, tempDir } from '../src/scenarios/common.js';

let sandbox: Sandbox;
let baseUrl: string;
const tmp = tempDir('bad-input');

beforeAll(async () => {
  sandbox = createSandbox({ writesPerMin: 0, readsPerMin: 0, verifyAfterPolls: 1, seed: 3 });
  baseUrl = `${(await sandbox.listen({ port: 0, host: '127.0.0.1' })).url}/api`;
});
afterAll(async () => {
  await sandbox.close();
  tmp.cleanup();
});

const base = sampleRecord();
const record = (userId: string, patch: Record<string, unknown> = {}) => ({
  ...sampleRecord({ userId }),
  ...patch,
});
const details = (patch: Record<string, unknown>) => ({ userDetails: { ...base.userDetails!, ...patch } });
const OVERSIZED = 'Q'.repeat(100_000);

async function importFile(file: string) {
  const store = join(tmp.dir, `${file}.db`);
  const result = await runCli(
    [
      'import',
      join(tmp.dir, file),
      '--json',
      '--store',
      `sqlite:${store}`,
      '--base-url',
      baseUrl,
      '--poll-ms',
      '10',
      '--writes-per-min',
      '0',
      '--reads-per-min',
      '0',
    ],
    { env: { CROSSMINT_API_KEY: API_KEY, KYC_HANDOFF_ENCRYPTION_KEY: ENCRYPTION_KEY }, timeoutMs: 30_000 },
  );
  const reportPath = join(tmp.dir, `${file}.report.ndjson`);
  const report = readFileSync(reportPath, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map(
      (l) =>
        JSON.parse(l) as {
          line: number;
          userId?: string;
          status: string;
          issues?: { field: string; reason: string }[];
        },
    );
  const s = openSqliteStore({ path: store, keyring: parseKeyring(ENCRYPTION_KEY) });
  const counts = await s.countsByState();
  await s.close();
  return { result, report, reportText: readFileSync(reportPath, 'utf8'), counts };
}

describe('bad input through kyc-handoff import', () => {
  it('NDJSON: every malformed line is refused with line, field and reason; the valid ones are verified', async () => {
    const lines: (string | Buffer)[] = [
      JSON.stringify(record('ok-1')), // 1
      JSON.stringify(record('types-2', details({ firstName: 12345 }))), // 2 wrong type
      JSON.stringify(record('ok-3')), // 3
      JSON.stringify({ userId: 'missing-4', privacyPolicyAcceptedAt: '2026-01-01T00:00:00.000Z' }), // 4 no sections
      JSON.stringify(record('date-5', details({ dateOfBirth: '1990-02-30' }))), // 5
      JSON.stringify(record('country-6', details({ countryOfResidence: 'USA' }))), // 6
      JSON.stringify(record('big-7', details({ firstName: OVERSIZED }))), // 7
      Buffer.concat([
        Buffer.from('{"userId":"utf8-8","userDetails":{"firstName":"'),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from('"}}'),
      ]), // 8
      JSON.stringify(record('ok-1', details({ firstName: 'Someone-Else' }))), // 9 duplicate id, other data
      JSON.stringify(record('ok-10')), // 10
      JSON.stringify(record('ok-11')).slice(0, 80), // 11 truncated last line, no newline
    ];
    const body = Buffer.concat(
      lines.map((l, i) => Buffer.concat([Buffer.from(l), Buffer.from(i < lines.length - 1 ? '\n' : '')])),
    );
    writeFileSync(join(tmp.dir, 'bad.ndjson'), body);
    const { result, report, reportText, counts } = await importFile('bad.ndjson');

    expect(result.code, result.stderr).toBe(0);
    const byLine = new Map(report.map((r) => [r.line, r]));
    for (const line of [2, 4, 5, 6, 7, 8, 9, 11])
      expect(byLine.has(line), `line ${line} refused; report: ${reportText}`).toBe(true);
    for (const line of [1, 3, 10]) expect(byLine.has(line), `line ${line} accepted`).toBe(false);
    const fieldOf = (line: number) => (byLine.get(line)?.issues ?? []).map((i) => i.field).join(',');
    expect(fieldOf(2)).toMatch(/userDetails\.firstName/);
    expect(fieldOf(5)).toMatch(/dateOfBirth/);
    expect(fieldOf(6)).toMatch(/countryOfResidence/);
    expect(fieldOf(7)).toMatch(/firstName/);
    // Invalid UTF-8 is refused where it is, not decoded to U+FFFD and sent on.
    expect(byLine.get(8)).toMatchObject({
      userId: 'utf8-8',
      issues: [{ field: 'userDetails.firstName', reason: 'is not valid UTF-8' }],
    });
    expect(byLine.get(9)?.status).toBe('conflict');
    for (const r of report) {
      if (r.status === 'invalid') {
        for (const issue of r.issues ?? []) expect(issue.reason.length, JSON.stringify(r)).toBeGreaterThan(0);
      }
    }
    // Reasons name the rule, never the value.
    for (const value of ['12345', '1990-02-30', 'USA', 'QQQQQQQQQQ', 'Someone-Else']) {
      expect(reportText).not.toContain(value);
      expect(result.stderr).not.toContain(value);
    }
    expect(counts.verified).toBe(3);
  });

  it('CSV: a row with a missing column is refused by line; the rows around it are verified', async () => {
    const header = [
      'userId',
      'privacyPolicyAcceptedAt',
      'userDetails.firstName',
      'userDetails.lastName',
      'userDetails.dateOfBirth',
      'userDetails.countryOfResidence',
      'kycData.email',
      'kycData.nationality',
      'kycData.addressOfResidence.line1',
      'kycData.addressOfResidence.city',
      'kycData.addressOfResidence.postalCode',
      'kycData.addressOfResidence.stateOrRegion',
      'kycData.identityDocument.type',
      'kycData.identityDocument.number',
      'kycData.identityDocument.issuingCountryCode',
      'verificationHistory.idVerificationTimestamp',
      'verificationHistory.livenessVerificationTimestamp',
    ];
    const row = (id: string) =>
      [
        id,
        '2026-01-01T00:00:00.000Z',
        'Ada',
        'Smith',
        '1990-12-10',
        'US',
        'ada@example.com',
        'US',
        '1 Main St',
        'Miami',
        '33101',
        'FL',
        'ssn',
        '123-45-6789',
        'US',
        '2026-01-01T00:00:00.000Z',
        '2026-01-01T00:00:00.000Z',
      ].join(',');
    const short = row('csv-short').split(',').slice(0, -3).join(',');
    writeFileSync(join(tmp.dir, 'bad.csv'), [header.join(','), row('csv-1'), short, row('csv-3')].join('\n'));
    const { result, report, counts } = await importFile('bad.csv');
    expect(result.code, result.stderr).toBe(0);
    expect(report.map((r) => r.line)).toEqual([3]);
    expect(counts.verified).toBe(2);
  });
});
