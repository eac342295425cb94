// One bad row never stops the others: a snapshot with a corrupt byte, a record that no longer
// decrypts or validates, each is set aside in `failed` with a reason while everyone else finishes.
import { CANARY, canaryRecord } from '@kyc-handoff/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger, TransitionNotice } from '../src/index.js';
import { API_KEY, type Harness, startHarness, userRecord } from './__test-utils__/harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function capturingLogger(lines: { level: string; text: string }[]): Logger {
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, text: `${message} ${JSON.stringify(fields ?? {})}` });
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

const FAST = { policy: { pollInitialMs: 1, pollMaxMs: 1 } };

/** Flips one byte of a stored snapshot, as a bad sector would: the JSON no longer parses. */
function corruptSnapshot(h: Harness, userId: string) {
  const { snapshot } = h.store.raw
    .prepare<[string], { snapshot: string }>('SELECT snapshot FROM onboardings WHERE user_id = ?')
    .get(userId)!;
  const at = snapshot.indexOf('"context"');
  const damaged = `${snapshot.slice(0, at)}\u0001${snapshot.slice(at + 1)}`;
  h.store.raw.prepare('UPDATE onboardings SET snapshot = ? WHERE user_id = ?').run(damaged, userId);
}

function corruptRecord(h: Harness, userId: string) {
  const { ciphertext } = h.store.raw
    .prepare<[string], { ciphertext: string }>('SELECT ciphertext FROM records WHERE user_id = ?')
    .get(userId)!;
  const flipped = `${ciphertext.slice(0, -2)}${ciphertext.at(-2) === 'A' ? 'B' : 'A'}${ciphertext.at(-1)}`;
  h.store.raw.prepare('UPDATE records SET ciphertext = ? WHERE user_id = ?').run(flipped, userId);
}

describe('quarantine of unreadable onboardings', () => {
  it('a snapshot with one corrupt byte: that user moves to failed (unreadable-row) in one commit, every other user is verified', async () => {
    const lines: { level: string; text: string }[] = [];
    harness = await startHarness({}, { ...FAST, logger: capturingLogger(lines) });
    await harness.handoff.submit(Array.from({ length: 20 }, (_, i) => userRecord(`u-${i}`)));
    corruptSnapshot(harness, 'u-7');
    const before = (await harness.store.get('u-7'))!.version;

    await harness.handoff.run();

    const counts = (await harness.handoff.stats()).states;
    expect(counts).toEqual({ verified: 19, failed: 1 });
    const status = await harness.handoff.status('u-7');
    expect(status).toMatchObject({
      state: 'failed',
      statePath: 'failed',
      failure: { reason: 'unreadable-row', step: null },
    });
    expect(status?.failure?.message).toMatch(/cannot be restored: the stored snapshot is not valid JSON/);
    // One commit: claimed (version + 1), then quarantined (+ 1), with one journal row.
    expect((await harness.store.get('u-7'))!.version).toBe(before + 2);
    expect(status?.journal.map((j) => [j.from, j.event, j.to, j.detail])).toEqual([
      ['unreadable', 'QUARANTINED', 'failed', 'unreadable-row'],
    ]);
    expect(harness.handoff.activity().quarantined).toBe(1);
    const warnings = lines.filter((l) => l.level === 'warn' && l.text.includes('quarantined'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.text).toMatch(/unreadable-row.*u-7/);
  });

  it('after a quarantine of an unreadable row, retry starts it afresh and it is verified', async () => {
    harness = await startHarness({}, FAST);
    await harness.handoff.submit([userRecord('a'), userRecord('b')]);
    corruptSnapshot(harness, 'b');
    await harness.handoff.run();
    expect((await harness.handoff.status('b'))?.state).toBe('failed');

    expect(await harness.handoff.retry('b')).toEqual({ ok: true, state: 'policyPending.recordingPolicy' });
    await harness.handoff.run();
    const status = await harness.handoff.status('b');
    expect(status?.state).toBe('verified');
    expect(status?.journal[1]).toMatchObject({ from: 'failed', event: 'RETRY', detail: 'afresh' });
  });

  it('retry of a row that was never quarantined but cannot be restored also starts it afresh', async () => {
    harness = await startHarness({}, FAST);
    await harness.handoff.submit(userRecord('c', 'Incomplete'));
    await harness.handoff.run();
    expect((await harness.handoff.status('c'))?.state).toBe('requiresData');
    corruptSnapshot(harness, 'c');
    const status = await harness.handoff.status('c');
    expect(status).toMatchObject({ statePath: 'unreadable', failure: { reason: 'unreadable-row' } });
    expect(await harness.handoff.supplyData('c', { dueDiligence: { industry: 'x' } })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/cannot be restored.*retry it/),
    });
    expect((await harness.handoff.retry('c')).ok).toBe(true);
    await harness.handoff.run();
    // Afresh: the sandbox still wants a document of this user, so it asks again; nothing was lost.
    expect((await harness.handoff.status('c'))?.state).toBe('requiresData');
    expect((await harness.handoff.status('c'))?.journal.at(-1)?.to).toBe('requiresData');
  });

  it('a record that no longer decrypts: quarantined as record-unreadable, nothing of it printed; the others finish', async () => {
    const lines: { level: string; text: string }[] = [];
    const notices: TransitionNotice[] = [];
    harness = await startHarness({}, { ...FAST, logger: capturingLogger(lines) });
    harness.handoff.subscribe((n) => notices.push(n));
    await harness.handoff.submit([canaryRecord('canary-q'), userRecord('ok-1'), userRecord('ok-2')]);
    corruptRecord(harness, 'canary-q');

    await harness.handoff.run();

    expect((await harness.handoff.stats()).states).toEqual({ verified: 2, failed: 1 });
    const status = await harness.handoff.status('canary-q');
    expect(status?.failure).toMatchObject({ reason: 'record-unreadable', step: 'recordingPolicy' });
    // Nothing was sent for it: the record is needed for the first call.
    expect(harness.sandbox.user(API_KEY, 'userId:canary-q')).toBeUndefined();
    const everything = JSON.stringify({ lines, notices, status });
    expect(everything).not.toContain(CANARY.ssn);
    expect(everything).not.toContain(CANARY.email);
    expect(lines.filter((l) => l.level === 'warn' && l.text.includes('record-unreadable'))).toHaveLength(1);
  });

  it('after repair (the record submitted again with update), retry of a record-unreadable user verifies it', async () => {
    harness = await startHarness({}, FAST);
    await harness.handoff.submit(userRecord('d'));
    corruptRecord(harness, 'd');
    await harness.handoff.run();
    expect((await harness.handoff.status('d'))?.failure?.reason).toBe('record-unreadable');
    expect((await harness.handoff.status('d'))?.failure?.message).toMatch(
      /cannot read the record of user d.*erased: submit the user again with update, then retry/,
    );
    expect(await harness.handoff.retry('d')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/record of d is no longer stored: submit it again with update/),
    });
    // Without update the same record is a conflict, as for any erased record; with update it is stored.
    expect((await harness.handoff.submit(userRecord('d')))[0]?.status).toBe('conflict');
    expect((await harness.handoff.submit(userRecord('d'), { update: true }))[0]?.status).toBe('updated');
    expect((await harness.handoff.retry('d')).ok).toBe(true);
    await harness.handoff.run();
    expect((await harness.handoff.status('d'))?.state).toBe('verified');
  });

  it('a damaged record that no call still needs is left alone: a failed poll does not quarantine it', async () => {
    // Polls far enough apart that a run until triggered ends before the first one.
    harness = await startHarness({}, { policy: { pollInitialMs: 1_500 } });
    await harness.handoff.submit(userRecord('polled', 'Pending'));
    await harness.handoff.run({ until: 'triggered' });
    corruptRecord(harness, 'polled');
    harness.sandbox.configure({ faultRate: 1, faults: ['500'] });
    const run = harness.handoff.run();
    while ((harness.sandbox.stats().byStatus['500'] ?? 0) === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    harness.sandbox.configure({ faultRate: 0 });
    harness.sandbox.forceStatus(API_KEY, 'userId:polled', 'verified');
    await run;
    const status = await harness.handoff.status('polled');
    expect(status?.state).toBe('verified');
    expect(status?.journal.map((j) => j.detail)).toContain('transient');
    expect(harness.handoff.activity().quarantined).toBe(0);
  });

  it('a stored record that no longer validates: quarantined as record-invalid, with the field named', async () => {
    harness = await startHarness({}, FAST);
    await harness.handoff.submit([userRecord('e'), userRecord('f')]);
    // Written by hand as an older, looser version could have: a country code the schema refuses,
    // stored before the store kept the rules version a record was validated under (NULL).
    await harness.store.replaceRecord(
      'e',
      { ...userRecord('e'), userDetails: { ...userRecord('e').userDetails!, countryOfResidence: 'USA' } },
      0,
    );
    harness.store.raw.prepare('UPDATE records SET rules = NULL WHERE user_id = ?').run('e');
    await harness.handoff.run();
    expect((await harness.handoff.stats()).states).toEqual({ verified: 1, failed: 1 });
    const status = await harness.handoff.status('e');
    expect(status?.failure?.reason).toBe('record-invalid');
    expect(status?.failure?.message).toMatch(/userDetails\.countryOfResidence/);
    expect(status?.failure?.message).not.toContain('USA');
  });

  it('a snapshot of the wrong shape that still parses as JSON is quarantined too, not polled forever', async () => {
    harness = await startHarness({}, FAST);
    await harness.handoff.submit([userRecord('g'), userRecord('h')]);
    harness.store.raw
      .prepare(
        `UPDATE onboardings SET snapshot = json_set(snapshot, '$.context.wakeAt', 'soon') WHERE user_id = ?`,
      )
      .run('g');
    await harness.handoff.run();
    expect((await harness.handoff.stats()).states).toEqual({ verified: 1, failed: 1 });
    expect((await harness.handoff.status('g'))?.failure?.message).toMatch(/unusable fields: wakeAt/);
  });
});
