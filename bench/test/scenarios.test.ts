// The short versions of the benchmark scenarios, through the same functions `pnpm bench` runs, so
// the bench scripts cannot rot. End checks only: timing targets are the benchmark's business.
import { describe, expect, it } from 'vitest';
import { rate } from '../src/scenarios/rate.js';
import { soak } from '../src/scenarios/soak.js';
import { throughput } from '../src/scenarios/throughput.js';

describe('benchmark scenarios, small', () => {
  it('throughput: raw and every engine contender finish all 200 users, each engine user terminal', async () => {
    const r = await throughput({ quick: true, users: 200, pgWorkers: [], pairs: 2 });
    expect(r.allTerminal).toBe(true);
    for (const c of r.contenders) expect(c.users, c.contender).toBe(200);
    expect(r.contenders.map((c) => c.contender)).toEqual([
      'raw-1',
      'engine-sqlite-1',
      'raw-2',
      'engine-sqlite-2',
      'raw-3',
      'engine-sqlite-http-thread',
      'engine-sqlite-young-64',
      'engine-sqlite-no-http',
    ]);
    // Each SQLite run is compared with the raw runs on either side of it; the target reads their median.
    const rate = (name: string) => r.contenders.find((c) => c.contender === name)!.usersPerSec;
    expect(r.sqlitePairRatios).toEqual(
      [1, 2].map((i) =>
        expect.closeTo(rate(`engine-sqlite-${i}`) / ((rate(`raw-${i}`) + rate(`raw-${i + 1}`)) / 2), 2),
      ),
    );
    expect(r.sqliteRatio).toBeCloseTo((r.sqlitePairRatios[0]! + r.sqlitePairRatios[1]!) / 2, 2);
    // The engine's own work is part of its work with HTTP, so the ceiling is a ratio below 1.
    if (process.platform === 'linux') expect(r.cpu).toBeDefined();
    if (r.cpu !== undefined) {
      expect(r.cpu.engineWithoutHttp).toBeGreaterThan(0);
      expect(r.cpuCeilingRatio).toBeGreaterThan(0);
      expect(r.cpuCeilingRatio).toBeLessThan(1);
      const ownThread = r.contenders.find((c) => c.contender === 'engine-sqlite-no-http')!.threadMsPerUser!;
      expect(r.singleThreadCeilingRatio).toBeCloseTo(r.cpu.raw / (r.cpu.raw + ownThread), 2);
    }
  });
});

describe('rate and faults, small', () => {
  it('rate: a backlog larger than the budget for 20 s gets no 429 from a sandbox with the same limits', async () => {
    const r = await rate({ quick: true, minutes: 1 / 6 });
    expect(r.rateLimited).toBe(0);
    expect(r.writes).toBeGreaterThan(0);
  });

  it('soak: with 10% faults of every kind every user ends verified or rejected, no endpoint gets two bodies', async () => {
    const r = await soak({ quick: true, users: 150 });
    expect(r.terminal).toBe(150);
    expect(r.rejected).toBeGreaterThan(0);
    expect(r.checks.missing).toBe(0);
    expect(r.checks.conflicting).toBe(0);
    expect(Object.values(r.faultsInjected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});
