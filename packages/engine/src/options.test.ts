import { createMemoryStore } from '@kyc-handoff/core/testing';
import { describe, expect, it } from 'vitest';
import { fakePort } from './__test-utils__/fake-port.js';
import { VirtualClock } from './clock.js';
import { createHandoff } from './handoff.js';
import { DEFAULTS, HandoffConfigError, type HandoffOptions, resolveHandoffOptions } from './options.js';

const base = (): HandoffOptions => {
  const clock = new VirtualClock();
  return { crossmint: fakePort({ clock }).port, store: createMemoryStore(), clock };
};

function refusal(options: Partial<HandoffOptions>): HandoffConfigError {
  try {
    resolveHandoffOptions({ ...base(), ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(HandoffConfigError);
    return error as HandoffConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('resolveHandoffOptions', () => {
  it("applies the defaults: Crossmint's published limits, 16 at once, a minute's lease, offramp", () => {
    const resolved = resolveHandoffOptions(base());
    expect(resolved).toMatchObject({
      concurrency: DEFAULTS.concurrency,
      writesPerMinute: 120,
      readsPerMinute: 360,
      leaseMs: 60_000,
      idleSweepMs: 5_000,
      targets: ['offramp'],
      precheck: true,
      fatalAfter: 3,
    });
  });

  it.each([Number.NaN, 0, -1, 1.5, Number.POSITIVE_INFINITY])(
    'refuses concurrency %s, naming it',
    (value) => {
      expect(refusal({ concurrency: value }).message).toMatch(/^concurrency must be a whole number from 1/);
    },
  );

  it.each([Number.NaN, 0, -5, 999, 2.5, Number.POSITIVE_INFINITY, 2 ** 31])('refuses leaseMs %s', (value) => {
    // A lease of -5 ms once made 8,858 requests in 10 s for one user.
    expect(refusal({ leaseMs: value }).option).toBe('leaseMs');
  });

  it.each([Number.NaN, 0, -1, 0.5, Number.POSITIVE_INFINITY])(
    'refuses a budget of %s: unlimited is spelt out',
    (value) => {
      const error = refusal({ budgets: { writesPerMinute: value } });
      expect(error.option).toBe('budgets.writesPerMinute');
      expect(error.message).toMatch(/or 'unlimited'/);
      expect(refusal({ budgets: { readsPerMinute: value } }).option).toBe('budgets.readsPerMinute');
    },
  );

  it("takes 'unlimited' budgets as no limit", () => {
    const resolved = resolveHandoffOptions({
      ...base(),
      budgets: { writesPerMinute: 'unlimited', readsPerMinute: 7 },
    });
    expect(resolved.writesPerMinute).toBe(Number.POSITIVE_INFINITY);
    expect(resolved.readsPerMinute).toBe(7);
  });

  it('refuses no targets, an unknown product and a product named twice', () => {
    expect(refusal({ targets: [] }).message).toMatch(/must name at least one product/);
    expect(refusal({ targets: ['offramp', 'payouts' as never] }).message).toMatch(/unknown product/);
    expect(refusal({ targets: ['offramp', 'offramp'] }).message).toMatch(/twice/);
  });

  it('refuses policy values that cannot work', () => {
    expect(refusal({ policy: { maxAttempts: 0 } }).option).toBe('policy.maxAttempts');
    expect(refusal({ policy: { pollInitialMs: -1 } }).option).toBe('policy.pollInitialMs');
    expect(refusal({ policy: { pollInitialMs: 10 * 60_000 } }).message).toMatch(
      /must not exceed policy.pollMaxMs/,
    );
    expect(refusal({ policy: { baseDelayMs: Number.NaN } }).option).toBe('policy.baseDelayMs');
    expect(refusal({ policy: { pollEvery: 5 } as never }).message).toMatch(/is not a policy setting/);
  });

  it('refuses idleSweepMs, fatalAfter and owner out of range, and a missing store or port', () => {
    expect(refusal({ idleSweepMs: 0 }).option).toBe('idleSweepMs');
    expect(refusal({ fatalAfter: 0 }).option).toBe('fatalAfter');
    expect(refusal({ owner: ' ' }).option).toBe('owner');
    expect(refusal({ store: undefined as never }).option).toBe('store');
    expect(refusal({ crossmint: undefined as never }).option).toBe('crossmint');
  });

  it('createHandoff refuses a bad option at once, before anything runs', () => {
    expect(() => createHandoff({ ...base(), leaseMs: -5 })).toThrow(HandoffConfigError);
  });
});
