import { applyEvent, startOnboarding } from '@kyc-handoff/core';
import { createMemoryStore, sampleOnboarding, sampleRecord } from '@kyc-handoff/core/testing';
import { describe, expect, it } from 'vitest';
import { Checkpoint, type CheckpointDeps, commitOf } from './checkpoint.js';
import { VirtualClock } from './clock.js';
import { GroupCommitter } from './committer.js';
import { silentLogger } from './logger.js';
import { Notices, noticeOf } from './notices.js';

async function setUp() {
  const store = createMemoryStore();
  await store.submit([sampleOnboarding(sampleRecord({ userId: 'c-1' }))], { now: 0 });
  const [row] = await store.claimDue({ now: 0, limit: 1, owner: 'me', leaseMs: 60_000 });
  const warnings: string[] = [];
  const notices = new Notices(silentLogger, undefined);
  const heard: string[] = [];
  notices.subscribe((n) => heard.push(n.to));
  const deps: CheckpointDeps = {
    store,
    committer: new GroupCommitter(store),
    clock: new VirtualClock(0),
    owner: 'me',
    notices,
    warnOnce: (kind) => warnings.push(kind),
  };
  return { store, row: row!, deps, warnings, heard };
}

describe('Checkpoint', () => {
  it('commits a run of steps as one write with a journal row each, and publishes them only then', async () => {
    const { store, row, deps, heard } = await setUp();
    const start = startOnboarding({ userId: 'c-1', seed: 1, now: 0 });
    const checkpoint = new Checkpoint(deps, 'c-1', row.version, start);
    const one = applyEvent(start, { type: 'POLICY_RECORDED', now: 1 });
    const two = applyEvent(one, { type: 'USER_UPSERTED', now: 2, created: true });
    checkpoint.add(
      { type: 'POLICY_RECORDED' },
      one,
      noticeOf('c-1', start, { type: 'POLICY_RECORDED', now: 1 }, one),
    );
    checkpoint.add(
      { type: 'USER_UPSERTED' },
      two,
      noticeOf('c-1', one, { type: 'USER_UPSERTED', now: 2, created: true }, two),
    );
    expect(heard).toEqual([]);
    expect(await checkpoint.save(true)).toBe(true);
    expect(heard).toEqual(['userCreated.submittingKyc', 'userCreated.triggering']);
    expect((await store.get('c-1'))?.version).toBe(row.version + 1);
    expect((await store.journal('c-1')).map((j) => j.event)).toEqual(['POLICY_RECORDED', 'USER_UPSERTED']);
  });

  it('a lease lost to another worker drops the steps, says so once, and publishes nothing', async () => {
    const { row, deps, warnings, heard } = await setUp();
    const start = startOnboarding({ userId: 'c-1', seed: 1, now: 0 });
    const checkpoint = new Checkpoint(deps, 'c-1', row.version - 1, start);
    const one = applyEvent(start, { type: 'POLICY_RECORDED', now: 1 });
    checkpoint.add(
      { type: 'POLICY_RECORDED' },
      one,
      noticeOf('c-1', start, { type: 'POLICY_RECORDED', now: 1 }, one),
    );
    expect(await checkpoint.save(true)).toBe(false);
    expect(warnings).toEqual(['lease-lost']);
    expect(heard).toEqual([]);
  });

  it('with nothing to commit, releasing only gives the lease back', async () => {
    const { store, row, deps } = await setUp();
    const checkpoint = new Checkpoint(
      deps,
      'c-1',
      row.version,
      startOnboarding({ userId: 'c-1', seed: 1, now: 0 }),
    );
    expect(await checkpoint.save(true)).toBe(true);
    expect(await store.claimDue({ now: 1, limit: 1, owner: 'other', leaseMs: 1_000 })).toHaveLength(1);
  });

  it('commitOf: a snapshot with nothing pending has no wake-up; attempts count 429s too', () => {
    const done = applyEvent(
      applyEvent(startOnboarding({ userId: 'c-2', seed: 1, now: 0 }), {
        type: 'STEP_FAILED',
        now: 1,
        error: { kind: 'invalid-data', message: 'refused' },
      }),
      { type: 'DUE', now: 2 },
    );
    const commit = commitOf('c-2', 3, done, [], { releaseLease: true, now: 9 });
    expect(commit).toMatchObject({ state: 'failed', wakeAt: null, expectedVersion: 3, now: 9 });
    expect(commit).not.toHaveProperty('eraseRecord');
  });
});
