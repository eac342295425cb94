// The CLI with the mistakes and damage real runs meet: a wrong encryption key, a key in a file, a
// key with a stray newline, document files outside the documents folder, a corrupt row.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKey, parseKeyring } from '@kyc-handoff/core/crypto';
import { openSqliteStore } from '@kyc-handoff/store-sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_KEY, ndjson, runCli, startWorld, usRecord, type World } from './__test-utils__/cli.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await world.close();
});

/** Overwrites a stored snapshot with the SQL expression `damage`, as a bad sector would. */
async function damageSnapshot(userId: string, damage: string) {
  const store = openSqliteStore({ path: join(world.dir, 'store.db'), keyring: parseKeyring(world.key) });
  store.raw.prepare(`UPDATE onboardings SET snapshot = ${damage} WHERE user_id = ?`).run(userId);
  await store.close();
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');

async function importUsers(records: unknown[], extra: string[] = [], env: Record<string, string> = {}) {
  const file = join(world.dir, 'users.ndjson');
  writeFileSync(file, ndjson(records));
  return runCli(['import', file, '--json', ...world.fast, ...extra], { env: { ...world.env, ...env } });
}

describe('encryption key', () => {
  it('a store opened with another key exits 1 at once, naming the key id, before any call', async () => {
    expect((await importUsers([usRecord('k-1')])).code).toBe(0);
    const requests = world.sandbox.stats().total;
    const other = generateKey();
    const result = await runCli(['resume', ...world.unlimited], {
      env: { ...world.env, KYC_HANDOFF_ENCRYPTION_KEY: other },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /kyc-handoff: sqlite:.*: the key with id k1 in KYC_HANDOFF_ENCRYPTION_KEY is not the one this store was encrypted with/,
    );
    expect(result.stderr).not.toContain(other);
    expect(result.stderr).not.toContain(world.key);
    expect(world.sandbox.stats().total).toBe(requests);
  });

  it('a keyring without the id the records use says which id is missing', async () => {
    expect((await importUsers([usRecord('k-2')])).code).toBe(0);
    const result = await runCli(['status'], {
      env: { ...world.env, KYC_HANDOFF_ENCRYPTION_KEY: `k2:${generateKey()}` },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /encrypted with key id k1, which KYC_HANDOFF_ENCRYPTION_KEY does not contain/,
    );
  });
});

describe('API key', () => {
  it('--api-key-file (and CROSSMINT_API_KEY_FILE) reads the key, a trailing newline included', async () => {
    const keyFile = join(world.dir, 'key');
    writeFileSync(keyFile, `${API_KEY}\n`, { mode: 0o600 });
    const env = { ...world.env, CROSSMINT_API_KEY: undefined } as unknown as Record<string, string>;
    const byFlag = await importUsers([usRecord('f-1')], ['--api-key-file', keyFile], env);
    expect(byFlag.code, byFlag.stderr).toBe(0);
    expect(JSON.parse(byFlag.stdout)).toMatchObject({ verified: 1 });
    const byEnv = await importUsers([usRecord('f-2')], [], { ...env, CROSSMINT_API_KEY_FILE: keyFile });
    expect(byEnv.code, byEnv.stderr).toBe(0);
  });

  it('--api-key with --api-key-file, or a missing key file, is one clear line and exit 1', async () => {
    const both = await importUsers([usRecord('f-3')], ['--api-key', API_KEY, '--api-key-file', '/nope']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/give either --api-key or --api-key-file, not both/);
    const missing = await importUsers([usRecord('f-4')], ['--api-key-file', join(world.dir, 'absent')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read --api-key-file .*absent \(ENOENT\)/);
    expect(world.sandbox.stats().total).toBe(0);
  });

  it('a key with an escape or a line break in it is fatal at start, never a retry loop, and not printed', async () => {
    for (const apiKey of [`${API_KEY}\u001b[0m`, `sk_staging_a\nb`]) {
      const result = await importUsers([usRecord('e-1')], [], { CROSSMINT_API_KEY: apiKey });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/character an HTTP header cannot carry/);
      expect(result.stderr).not.toContain('sk_staging_a');
    }
    expect(world.sandbox.stats().total).toBe(0);
  });
});

describe('documents folder', () => {
  it("import reads documents from the input file's folder by default, and refuses one outside it with its line", async () => {
    const data = join(world.dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'id.png'), PNG);
    writeFileSync(join(world.dir, 'outside.png'), PNG);
    symlinkSync('/etc/passwd', join(data, 'passwd.png'));
    const withDoc = (userId: string, path: string) => ({
      ...usRecord(userId),
      documents: [{ documentType: 'id-passport', path }],
    });
    const file = join(data, 'users.ndjson');
    writeFileSync(
      file,
      ndjson([withDoc('d-1', 'id.png'), withDoc('d-2', '../outside.png'), withDoc('d-3', 'passwd.png')]),
    );
    const result = await runCli(['import', file, '--json', ...world.fast], {
      env: world.env,
      cwd: world.dir,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ verified: 1, invalid: 2 });
    expect(result.stderr).toMatch(
      /line 2 \(user d-2\): invalid: documents\.0\.path id-passport: the file is outside the documents folder/,
    );
    expect(result.stderr).toMatch(/line 3 \(user d-3\): invalid: documents\.0\.path/);
    expect(result.stderr).not.toMatch(/passwd|outside\.png/);
  });

  it('--documents-dir, then KYC_HANDOFF_DOCUMENTS_DIR, replace the input folder as the documents root', async () => {
    const docs = join(world.dir, 'docs');
    mkdirSync(docs);
    writeFileSync(join(docs, 'id.png'), PNG);
    const withDoc = (userId: string) => ({
      ...usRecord(userId),
      documents: [{ documentType: 'id-passport', path: 'id.png' }],
    });
    // The input's own folder (world.dir) has no id.png: only the configured root makes it found.
    const byFlag = await importUsers([withDoc('r-1')], ['--documents-dir', docs]);
    expect(byFlag.code, byFlag.stderr).toBe(0);
    expect(JSON.parse(byFlag.stdout)).toMatchObject({ verified: 1, invalid: 0 });
    const byEnv = await importUsers([withDoc('r-1'), withDoc('r-2')], [], {
      KYC_HANDOFF_DOCUMENTS_DIR: docs,
    });
    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(JSON.parse(byEnv.stdout)).toMatchObject({ verified: 2, invalid: 0 });
    // The flag beats the environment.
    const both = await importUsers([withDoc('r-3')], ['--documents-dir', world.dir], {
      KYC_HANDOFF_DOCUMENTS_DIR: docs,
    });
    expect(JSON.parse(both.stdout)).toMatchObject({ invalid: 1 });
    expect(both.stderr).toMatch(
      /line 1 \(user r-3\): invalid: documents\.0\.path id-passport: the file does not exist/,
    );
  });

  it("onboard reads documents from the working directory by default, not from the record file's folder", async () => {
    const docs = join(world.dir, 'work');
    mkdirSync(docs);
    writeFileSync(join(docs, 'id.png'), PNG);
    const file = join(world.dir, 'one.json');
    const record = (userId: string) => ({
      ...usRecord(userId),
      documents: [{ documentType: 'id-passport', path: 'id.png' }],
    });
    writeFileSync(file, JSON.stringify(record('w-1')));
    const elsewhere = await runCli(['onboard', file, ...world.fast], { env: world.env, cwd: world.dir });
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr).toMatch(
      /documents\.0\.path id-passport: the file does not exist in the documents folder/,
    );
    expect(world.sandbox.stats().total).toBe(0);
    writeFileSync(file, JSON.stringify(record('w-2')));
    const inDocs = await runCli(['onboard', file, ...world.fast], { env: world.env, cwd: docs });
    expect(inDocs.code, inDocs.stderr).toBe(0);
  });

  it('--documents-dir that is not a folder is one clear line before any call', async () => {
    const result = await importUsers([usRecord('d-4')], ['--documents-dir', join(world.dir, 'nope')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the documents folder .*nope does not exist or is not a folder/);
    expect(world.sandbox.stats().total).toBe(0);
  });
});

describe('a corrupt row', () => {
  it('is quarantined with a warning that needs no --debug, shown by status, counted in the summary, and retry works', async () => {
    const pending = [usRecord('q-1', 'Pending'), usRecord('q-2', 'Pending'), usRecord('q-3')];
    expect((await importUsers(pending, ['--no-wait'])).code).toBe(0);
    await damageSnapshot('q-2', 'substr(snapshot, 2)');
    for (const id of ['q-1', 'q-2']) world.sandbox.forceStatus(API_KEY, `userId:${id}`, 'verified');

    const resumed = await runCli(['resume', ...world.unlimited], { env: world.env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(
      /warn: onboarding quarantined to failed \(unreadable-row\); the others go on/,
    );
    const status = await runCli(['status', 'q-2'], { env: world.env });
    expect(status.stdout).toMatch(/failure\s+unreadable-row: the stored onboarding cannot be restored/);
    expect(status.stdout).toMatch(/unreadable → failed \(QUARANTINED unreadable-row\)/);

    const retried = await runCli(['retry', 'q-2', ...world.unlimited], { env: world.env });
    expect(retried.code, retried.stderr).toBe(0);
    const counts = JSON.parse((await runCli(['status', '--json'], { env: world.env })).stdout);
    expect(counts).toMatchObject({ verified: 3 });
  });

  it('the import summary counts the users this run quarantined', async () => {
    expect((await importUsers([usRecord('s-1'), usRecord('s-2', 'Pending')], ['--no-wait'])).code).toBe(0);
    await damageSnapshot('s-2', `'{'`);
    const again = await importUsers([usRecord('s-1'), usRecord('s-2', 'Pending')]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ failed: 1, quarantined: 1 });
  });
});
