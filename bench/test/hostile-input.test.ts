// The hostile-input corpus (fixtures/hostile/, plus large inputs generated here) through the built
// CLI's `import`: each file's refusals (line, field, reason), how many users are stored, the exit
// status, and that none of the corpus's canary personal data is printed or reported.

import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  copyFileSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseKeyring } from '@kyc-handoff/core/crypto';
import { createSandbox, type Sandbox } from '@kyc-handoff/sandbox';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/lib/proc.js';
import { API_KEY } from '../src/lib/records.js';
import { ENCRYPTION_KEY, tempDir } from '../src/scenarios/common.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/hostile/', import.meta.url));

/** The personal data every record of the corpus carries (see fixtures/hostile/README.md). */
const CANARIES = [
  'Quillonia',
  'Quill',
  'Wrenhallow',
  '1971-03-04',
  '1971-02-30',
  'Larkspur',
  'Marlowtown',
  'Marlow',
  '987-65-43',
  '3055550147',
  'quillonia.',
];

let sandbox: Sandbox;
let baseUrl: string;
const tmp = tempDir('hostile-input');

beforeAll(async () => {
  sandbox = createSandbox({ writesPerMin: 0, readsPerMin: 0, verifyAfterPolls: 1, seed: 5 });
  baseUrl = `${(await sandbox.listen({ port: 0, host: '127.0.0.1' })).url}/api`;
});
afterAll(async () => {
  await sandbox.close();
  tmp.cleanup();
});

interface Refusal {
  userId?: string;
  status?: 'invalid' | 'incomplete' | 'conflict';
  /** The fields named, in order. */
  fields?: string[];
  reason?: RegExp;
}

interface Expectation {
  exit: number;
  /** Refused lines in the order the report lists them. */
  refused: Record<number, Refusal>;
  stored: number;
  /** Whether the stored users ran to verified (a run that stopped reading never runs them). */
  verified: boolean;
  stderr?: RegExp;
}

interface ReportLine {
  line: number;
  userId?: string;
  status: string;
  issues?: { field: string; reason: string }[];
}

async function importFile(name: string) {
  const file = join(tmp.dir, name);
  const store = join(tmp.dir, `${name}.db`);
  const result = await runCli(
    [
      'import',
      file,
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
    { env: { CROSSMINT_API_KEY: API_KEY, KYC_HANDOFF_ENCRYPTION_KEY: ENCRYPTION_KEY }, timeoutMs: 60_000 },
  );
  const reportText = readFileSync(`${file}.report.ndjson`, 'utf8');
  const report = reportText
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ReportLine);
  const s = openSqliteStore({ path: store, keyring: parseKeyring(ENCRYPTION_KEY) });
  const counts = await s.countsByState();
  await s.close();
  return { result, report, reportText, counts };
}

function check(name: string, expected: Expectation, got: Awaited<ReturnType<typeof importFile>>) {
  const { result, report, reportText, counts } = got;
  const context = `${name}\nstderr: ${result.stderr}\nreport: ${reportText}`;
  expect(result.code, context).toBe(expected.exit);
  if (expected.stderr) expect(result.stderr, context).toMatch(expected.stderr);
  expect(
    report.map((r) => r.line),
    context,
  ).toEqual(Object.keys(expected.refused).map(Number));
  for (const r of report) {
    const want = expected.refused[r.line] ?? {};
    expect(r.status, context).toBe(want.status ?? 'invalid');
    if (want.userId !== undefined) expect(r.userId, context).toBe(want.userId);
    if (want.fields)
      expect(
        (r.issues ?? []).map((i) => i.field),
        context,
      ).toEqual(want.fields);
    for (const issue of want.reason ? (r.issues ?? []) : [])
      expect(issue.reason, context).toMatch(want.reason!);
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  expect(total, context).toBe(expected.stored);
  if (expected.verified) expect(counts.verified ?? 0, context).toBe(expected.stored);
  for (const canary of CANARIES) {
    expect(result.stdout, `${name}: stdout shows ${canary}`).not.toContain(canary);
    expect(result.stderr, `${name}: stderr shows ${canary}`).not.toContain(canary);
    expect(reportText, `${name}: the report shows ${canary}`).not.toContain(canary);
  }
}

const NOT_UTF8 = /^is not valid UTF-8$/;

const CORPUS: Record<string, Expectation> = {
  'invalid-utf8.ndjson': {
    exit: 0,
    refused: {
      2: { userId: 'h8-2', fields: ['userDetails.firstName'], reason: NOT_UTF8 },
      3: {
        userId: 'h8-3',
        fields: ['userDetails.lastName', 'kycData.addressOfResidence.city'],
        reason: NOT_UTF8,
      },
      4: { fields: ['(line)'], reason: NOT_UTF8 },
    },
    stored: 2,
    verified: true,
  },
  'invalid-utf8.csv': {
    exit: 0,
    refused: {
      3: { userId: 'hu-2', fields: ['kycData.addressOfResidence.line1'], reason: NOT_UTF8 },
      4: {
        userId: 'hu-3',
        fields: ['userDetails.firstName', 'kycData.addressOfResidence.city'],
        reason: NOT_UTF8,
      },
    },
    stored: 2,
    verified: true,
  },
  'refusal-order.ndjson': {
    exit: 0,
    refused: {
      1: { userId: 'ho-1', fields: ['kycData.email'] },
      2: { fields: ['(line)'], reason: /^is not valid JSON$/ },
      3: { userId: 'ho-3', status: 'incomplete' },
      4: { userId: 'ho-4', fields: ['kycData.addressOfResidence.line1'], reason: NOT_UTF8 },
      5: { userId: 'ho-5', fields: ['userDetails.dateOfBirth'] },
      6: { fields: ['(line)'], reason: /^must be one JSON object$/ },
    },
    stored: 1,
    verified: true,
  },
  'unclosed-quote.csv': {
    exit: 1,
    refused: {},
    stored: 3,
    verified: false,
    stderr: /the quote opened in the record at line 5 is never closed; close it, then re-run the import/,
  },
  'mid-field-quote.csv': {
    exit: 1,
    refused: {},
    stored: 2,
    verified: false,
    stderr: /line 4 has a quote inside a field that does not start with one/,
  },
  'duplicate-header.csv': {
    exit: 1,
    refused: {},
    stored: 0,
    verified: false,
    stderr: /column "kycData\.email" appears twice in the header \(columns 7 and 19\): remove or rename one/,
  },
};

/** A US record with the corpus's canaries, as one NDJSON line. */
const recordLine = (userId: string, n: number, firstName = 'Quillonia') =>
  JSON.stringify({
    userId,
    privacyPolicyAcceptedAt: '2026-01-01T00:00:00.000Z',
    userDetails: { firstName, lastName: 'Wrenhallow', dateOfBirth: '1971-03-04', countryOfResidence: 'US' },
    kycData: {
      email: `quillonia.w${n}@example.invalid`,
      nationality: 'US',
      addressOfResidence: {
        line1: '77 Larkspur Close',
        city: 'Marlowtown',
        postalCode: '33156',
        stateOrRegion: 'FL',
      },
      identityDocument: {
        type: 'ssn',
        number: `987-65-43${String(n).padStart(2, '0')}`,
        issuingCountryCode: 'US',
      },
    },
    verificationHistory: {
      idVerificationTimestamp: '2026-01-01T00:00:00.000Z',
      livenessVerificationTimestamp: '2026-01-01T00:00:00.000Z',
    },
  });

async function writeLines(name: string, parts: Iterable<string | Buffer>) {
  const out = createWriteStream(join(tmp.dir, name));
  for (const part of parts) if (!out.write(part)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

describe('the hostile-input corpus through kyc-handoff import', () => {
  for (const [name, expected] of Object.entries(CORPUS)) {
    it(`${name}: ${Object.keys(expected.refused).length} lines refused, ${expected.stored} stored, exit ${expected.exit}`, async () => {
      copyFileSync(join(FIXTURES, name), join(tmp.dir, name));
      check(name, expected, await importFile(name));
    });
  }

  it('a line over 64 MiB is that line refused; the lines around it are verified', async () => {
    const name = 'long-line.ndjson';
    function* parts() {
      yield `${recordLine('hl-1', 61)}\n`;
      yield '{"userId":"hl-2","userDetails":{"firstName":"Quillonia';
      const mib = 'Q'.repeat(1024 * 1024);
      for (let i = 0; i < 65; i++) yield mib;
      yield '"}}\n';
      yield `${recordLine('hl-3', 63)}\n`;
    }
    await writeLines(name, parts());
    check(
      name,
      {
        exit: 0,
        refused: {
          2: { fields: ['(line)'], reason: /^is longer than 64 MiB, the most one record may hold/ },
        },
        stored: 2,
        verified: true,
      },
      await importFile(name),
    );
  });

  it('hostile document paths and files: each is its line refused, naming the rule, never the path', async () => {
    const name = 'hostile-documents.ndjson';
    const jpeg = fileURLToPath(new URL('../../examples/records/id-front.jpg', import.meta.url));
    // A real JPEG outside the documents folder (the input file's folder), which no path may reach.
    const outside = mkdtempSync(join(tmpdir(), 'kyc-hostile-outside-'));
    try {
      copyFileSync(jpeg, join(outside, 'secret.jpg'));
      copyFileSync(jpeg, join(tmp.dir, 'good.jpg'));
      symlinkSync('/etc/passwd', join(tmp.dir, 'passwd.jpg'));
      symlinkSync(join(outside, 'secret.jpg'), join(tmp.dir, 'link-out.jpg'));
      execFileSync('mkfifo', [join(tmp.dir, 'pipe.jpg')]);
      mkdirSync(join(tmp.dir, 'folder.jpg'));
      writeFileSync(join(tmp.dir, 'huge.jpg'), readFileSync(jpeg));
      truncateSync(join(tmp.dir, 'huge.jpg'), 11 * 1024 * 1024);
      // PNG bytes under a .jpg name.
      writeFileSync(join(tmp.dir, 'png.jpg'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
      const paths = [
        join(outside, 'secret.jpg'),
        `../${basename(outside)}/secret.jpg`,
        'passwd.jpg',
        'link-out.jpg',
        'pipe.jpg',
        'folder.jpg',
        'huge.jpg',
        'png.jpg',
        'absent.jpg',
        'good.jpg',
      ];
      const line = (path: string, i: number) => {
        const record = JSON.parse(recordLine(`hd-${i + 1}`, 70 + i)) as Record<string, unknown>;
        return `${JSON.stringify({ ...record, documents: [{ documentType: 'id-passport', path }] })}\n`;
      };
      await writeLines(name, paths.map(line));
      const got = await importFile(name);
      const rule = (reason: RegExp): Refusal => ({ fields: ['documents.0.path'], reason });
      const outsideRule = rule(/outside the documents folder/);
      check(
        name,
        {
          exit: 0,
          refused: {
            1: outsideRule,
            2: outsideRule,
            3: outsideRule,
            4: outsideRule,
            5: rule(/not a regular file/),
            6: rule(/not a regular file/),
            7: rule(/larger than 10 MB, Crossmint's limit/),
            8: rule(/not JPEG data/),
            9: rule(/does not exist in the documents folder/),
          },
          stored: 1,
          verified: true,
        },
        got,
      );
      for (const path of [outside, 'secret.jpg', '/etc/passwd', 'passwd.jpg', 'pipe.jpg', 'huge.jpg']) {
        const shown = got.result.stdout + got.result.stderr + got.reportText;
        expect(shown, `the path ${path} is printed or reported`).not.toContain(path);
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('600 rows before an unclosed quote are all stored; the error names line 602', async () => {
    const name = 'quote-after-600.csv';
    const header = readFileSync(join(FIXTURES, 'unclosed-quote.csv'), 'utf8').split('\n')[0]!;
    const row = (n: number, firstName = 'Quillonia') =>
      [
        `hb-${n}`,
        '2026-01-01T00:00:00.000Z',
        firstName,
        'Wrenhallow',
        '1971-03-04',
        'US',
        `quillonia.w${n}@example.invalid`,
        '+13055550147',
        'US',
        '77 Larkspur Close',
        'Marlowtown',
        '33156',
        'FL',
        'ssn',
        `987-65-43${String(n % 100).padStart(2, '0')}`,
        'US',
        '2026-01-01T00:00:00.000Z',
        '2026-01-01T00:00:00.000Z',
      ].join(',');
    const rows = Array.from({ length: 600 }, (_, i) => `${row(i)}\n`);
    await writeLines(name, [`${header}\n`, ...rows, `${row(600, '"Quillonia')}\n`, `${row(601)}\n`]);
    check(
      name,
      {
        exit: 1,
        refused: {},
        stored: 600,
        verified: false,
        stderr: /the quote opened in the record at line 602 is never closed/,
      },
      await importFile(name),
    );
  });
});
