// What a platform's data and Crossmint's answers can carry that must never go further: document
// files from outside the documents folder, and Crossmint messages quoting the user's own data.

import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { CANARY, canaryRecord } from '@kyc-handoff/core/testing';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { createDocumentReader, createHandoff } from '../src/index.js';
import { API_KEY, type Harness, startHarness, userRecord } from './__test-utils__/harness.js';

let harness: Harness | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const c of cleanups.splice(0)) await c();
});

const FAST = { policy: { pollInitialMs: 1, pollMaxMs: 1 } };
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

describe('document files are checked when a record is submitted', () => {
  it('a record whose document climbs out of the documents folder is refused at submit, naming the field; nothing is sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyc-intake-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'id.png'), PNG);
    symlinkSync('/etc/passwd', join(dir, 'passwd.png'));
    harness = await startHarness({}, { ...FAST, readDocument: createDocumentReader({ root: dir }) });
    const withDocument = (userId: string, path: string) =>
      userRecord(userId, 'Smith', { documents: [{ documentType: 'id-passport', path }] });

    const results = await harness.handoff.submit([
      withDocument('ok', 'id.png'),
      withDocument('climbs', '../../etc/passwd.png'),
      withDocument('symlink', 'passwd.png'),
      withDocument('absolute', '/etc/hostname.png'),
    ]);

    expect(results.map((r) => r.status)).toEqual(['created', 'invalid', 'invalid', 'invalid']);
    expect(results[2]).toEqual({
      userId: 'symlink',
      status: 'invalid',
      issues: [
        {
          field: 'documents.0.path',
          reason:
            'id-passport: the file is outside the documents folder (absolute paths, ../ and symlinks must stay inside it)',
        },
      ],
    });
    expect(JSON.stringify(results)).not.toContain('passwd');
    await harness.handoff.run();
    expect((await harness.handoff.stats()).states).toEqual({ verified: 1 });
    expect(harness.sandbox.user(API_KEY, 'userId:symlink')).toBeUndefined();
    expect(harness.sandbox.user(API_KEY, 'userId:ok')?.writes).toMatchObject({ documents: 1 });
  });

  it('supplyData refuses a document outside the folder and leaves the user waiting for data', async () => {
    harness = await startHarness({}, FAST);
    await harness.handoff.submit(userRecord('carol', 'Incomplete'));
    await harness.handoff.run();
    const result = await harness.handoff.supplyData('carol', {
      documents: [{ documentType: 'id-passport', path: `/nonexistent/${CANARY.email}.png` }],
    });
    expect(result).toEqual({
      ok: false,
      reason: expect.stringMatching(
        /^supplied data for carol refused: documents\.0\.path id-passport: the file/,
      ),
    });
    expect(JSON.stringify(result)).not.toContain(CANARY.email);
    expect((await harness.handoff.status('carol'))?.state).toBe('requiresData');
  });
});

/** A Crossmint stand-in whose trigger answers 400 quoting what it stored of the user. */
async function quotingServer(quote: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url?.endsWith('/legal-documents')) return json(200, { acceptedAt: '2026-01-01T00:00:00.000Z' });
      if (req.url?.endsWith('/identity-verification')) {
        return json(400, { error: true, message: `verification refused for ${quote}` });
      }
      return json(201, {
        userId: 'x',
        userDetails: true,
        kycData: true,
        dueDiligence: false,
        verificationHistory: true,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${address.port}/api` };
}

describe("Crossmint's messages are scrubbed of the user's own data", () => {
  it('a 400 on the trigger (a call without a body) quoting the name, address and email is stored and shown redacted', async () => {
    const record = canaryRecord('quoted');
    const { firstName, lastName, dateOfBirth } = record.userDetails!;
    const address = record.kycData!.addressOfResidence!;
    const quote = `${firstName} ${lastName}, born ${dateOfBirth}, ${address.line1}, ${address.city}, ${CANARY.email}`;
    const { server, url } = await quotingServer(quote);
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const dir = mkdtempSync(join(tmpdir(), 'kyc-quote-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = openSqliteStore({ path: join(dir, 's.db'), keyring: parseKeyring(generateKey()) });
    const crossmint = createCrossmintClient({ baseUrl: url }, { apiKey: API_KEY });
    cleanups.push(async () => {
      await crossmint.close();
      await store.close();
    });
    const handoff = createHandoff({
      crossmint,
      store,
      budgets: { writesPerMinute: 'unlimited', readsPerMinute: 'unlimited' },
    });
    await handoff.submit(record);
    await handoff.run();

    const status = await handoff.status('quoted');
    expect(status?.state).toBe('failed');
    expect(status?.failure?.message).toMatch(/verification refused for \[redacted\]/);
    const row = store.raw.prepare('SELECT snapshot, last_error FROM onboardings').get();
    const everything = JSON.stringify({ status, row });
    for (const value of [firstName, lastName, dateOfBirth, address.line1, address.city, CANARY.email]) {
      expect(everything, value).not.toContain(value);
    }
  });
});
