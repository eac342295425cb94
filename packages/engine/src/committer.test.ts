import type { CommitResult, CommitTransition, OnboardingStore } from '@kyc-handoff/core';
import { describe, expect, it } from 'vitest';
import { GroupCommitter } from './committer.js';

/** A store that records the size of each commit and commits everything. */
function recordingStore() {
  const batches: number[] = [];
  const store = {
    commit: async (transitions: readonly CommitTransition[]): Promise<CommitResult[]> => {
      batches.push(transitions.length);
      return transitions.map((t) => ({
        userId: t.userId,
        committed: true,
        newVersion: t.expectedVersion + 1,
      }));
    },
  } as unknown as OnboardingStore;
  return { store, batches };
}

const transition = (userId: string): CommitTransition =>
  ({ userId, expectedVersion: 1, journal: [], releaseLease: true, now: 0 }) as unknown as CommitTransition;

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommitter', () => {
  it('commits a lone transition on its own once a turn brings nothing new', async () => {
    const { store, batches } = recordingStore();
    const committer = new GroupCommitter(store);
    const result = await committer.commit(transition('u1'));
    expect(result).toEqual({ userId: 'u1', committed: true, newVersion: 2 });
    expect(batches).toEqual([1]);
  });

  it('keeps a batch open while transitions keep arriving turn after turn, then writes them together', async () => {
    const { store, batches } = recordingStore();
    // A linger far longer than the test, so only the arrivals decide.
    const committer = new GroupCommitter(store, 500, 60_000);
    const results: Promise<CommitResult>[] = [];
    for (let turn = 0; turn < 5; turn++) {
      results.push(committer.commit(transition(`u${turn}a`)), committer.commit(transition(`u${turn}b`)));
      await nextTurn();
    }
    await Promise.all(results);
    expect(batches).toEqual([10]);
    expect((await Promise.all(results)).every((r) => r.committed)).toBe(true);
  });

  it('writes once the batch holds maxBatch, even while more arrive', async () => {
    const { store, batches } = recordingStore();
    const committer = new GroupCommitter(store, 4, 60_000);
    const results: Promise<CommitResult>[] = [];
    for (let turn = 0; turn < 6; turn++) {
      results.push(committer.commit(transition(`u${turn}`)));
      await nextTurn();
    }
    await Promise.all(results);
    await committer.drain();
    expect(batches[0]).toBe(4);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('writes after the linger even while transitions keep arriving', async () => {
    const { store, batches } = recordingStore();
    const committer = new GroupCommitter(store, 500, 0);
    const first = committer.commit(transition('u1'));
    await nextTurn();
    committer.commit(transition('u2'));
    await first;
    await committer.drain();
    // With any linger left, u2's arrival would have kept u1's batch open: [2].
    expect(batches).toEqual([1, 1]);
  });

  it('drain waits for a batch still lingering', async () => {
    const { store, batches } = recordingStore();
    const committer = new GroupCommitter(store, 500, 60_000);
    void committer.commit(transition('u1'));
    void committer.commit(transition('u2'));
    await committer.drain();
    expect(batches).toEqual([2]);
  });
});
