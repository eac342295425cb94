// The short versions of the benchmark scenarios, through the same functions `pnpm bench` runs, so
// the bench scripts cannot rot. End checks only: timing targets are the benchmark's business.
import { describe, expect, it } from 'vitest';
import { throughput } from '../src/scenarios/throughput.js';

describe('benchmark scenarios, small', () => {
  it('throughput: raw and every engine contender finish all 200 users, each engine user terminal', async () => {
    const r = await throughput({ quick: true, users: 200, pgWorkers: [] });
    expect(r.allTerminal).toBe(true);
    for (const c of r.contenders) expect(c.users, c.contender).toBe(200);
    expect(r.contenders.map((c) => c.contender)).toEqual(
      expect.arrayContaining(['raw-before', 'engine-sqlite', 'raw-after']),
    );
  });
});
