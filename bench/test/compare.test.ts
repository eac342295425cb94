// The engine-against-engine comparison, run small against this very checkout (the only built one a
// test can count on), so the script cannot rot; and its refusals, which must come before any run.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compareEngines, problemWithCheckout } from '../src/compare.js';
import { REPO_DIR } from '../src/lib/machine.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kyc-compare-'));
  dirs.push(dir);
  return dir;
};

describe('compare: this checkout against another', () => {
  it('against itself, each engine run between two raw runs: every user terminal, ratios from the printed rates', async () => {
    const r = await compareEngines({
      against: REPO_DIR,
      users: 100,
      rounds: 1,
      noHttp: false,
      zeroIsUnlimited: false,
    });
    expect(r.runs.map((run) => run.tree)).toEqual(['this', 'other']);
    for (const run of r.runs) expect(run.terminal, run.tree).toBe(100);
    expect(r.rawUsersPerSec).toHaveLength(3);
    r.runs.forEach((run, i) => {
      const bracket = (r.rawUsersPerSec[i]! + r.rawUsersPerSec[i + 1]!) / 2;
      expect(run.ratioToRaw).toBeCloseTo(run.usersPerSec / bracket, 2);
    });
    expect(r.median).toEqual({ this: r.runs[0]!.ratioToRaw, other: r.runs[1]!.ratioToRaw });
    expect(r.roundQuotients[0]).toBeCloseTo(r.runs[0]!.ratioToRaw! / r.runs[1]!.ratioToRaw!, 2);
    expect(r.cpuRoundQuotients[0]).toBeCloseTo(r.runs[0]!.cpuMsPerUser / r.runs[1]!.cpuMsPerUser, 2);
  });

  it('without HTTP it compares CPU per user and starts no raw run', async () => {
    const r = await compareEngines({
      against: REPO_DIR,
      users: 50,
      rounds: 1,
      noHttp: true,
      zeroIsUnlimited: false,
    });
    expect(r.rawUsersPerSec).toEqual([]);
    for (const run of r.runs) {
      expect(run.terminal).toBe(50);
      expect(run.ratioToRaw).toBeUndefined();
    }
    expect(r.median).toEqual({ this: r.runs[0]!.cpuMsPerUser, other: r.runs[1]!.cpuMsPerUser });
  });

  it('refuses a folder that is not a checkout, or one not built, saying what to do', async () => {
    const empty = tempDir();
    expect(problemWithCheckout(empty)).toMatch(/not a kyc-handoff checkout.*pass the root of one/);
    const unbuilt = tempDir();
    mkdirSync(join(unbuilt, 'bench/src/children'), { recursive: true });
    writeFileSync(join(unbuilt, 'bench/src/children/engine.ts'), '');
    expect(problemWithCheckout(unbuilt)).toMatch(/is not built.*pnpm turbo run build/);
    await expect(
      compareEngines({ against: unbuilt, users: 10, rounds: 1, noHttp: false, zeroIsUnlimited: false }),
    ).rejects.toThrow(/is not built/);
    expect(problemWithCheckout(REPO_DIR)).toBeUndefined();
  });

  it.each([
    ['users', { users: 0, rounds: 1 }],
    ['users', { users: Number.NaN, rounds: 1 }],
    ['rounds', { users: 10, rounds: -1 }],
    ['rounds', { users: 10, rounds: 1.5 }],
  ])('refuses a bad --%s before starting anything', async (name, sizes) => {
    await expect(
      compareEngines({ against: REPO_DIR, noHttp: false, zeroIsUnlimited: false, ...sizes }),
    ).rejects.toThrow(new RegExp(`--${name} must be a whole number`));
  });
});
