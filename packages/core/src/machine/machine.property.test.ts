import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyStateNode } from 'xstate';
import {
  drive,
  onboardingInputArb,
  policyArb,
  recordArb,
  runStepsArb,
} from '../__test-utils__/arbitraries.js';
import { CANARY, canaryRecord } from '../testing/fixtures.js';
import { pollDelay, retryDelay } from './backoff.js';
import { DEFAULT_POLICY, type OnboardingInput, type Step } from './context.js';
import type { OnboardingEvent } from './events.js';
import { onboardingMachine } from './machine.js';
import { pendingEffect } from './pending-effect.js';
import {
  applyEvent,
  fromPersisted,
  type OnboardingSnapshot,
  startOnboarding,
  startPersisted,
  statePath,
  TOP_LEVEL_STATES,
  toPersisted,
  topLevelState,
} from './snapshot.js';
import { toMachineSnapshot } from './xstate-snapshot.js';

const RUNS = { seed: 42, numRuns: 200 } as const;

function leafPaths(node: AnyStateNode = onboardingMachine.root): string[] {
  const children = Object.values(node.states);
  if (children.length === 0) return [node.path.join('.')];
  return children.flatMap((child) => leafPaths(child));
}
const LEAVES = new Set(leafPaths());

const accepts = (snapshot: OnboardingSnapshot, event: OnboardingEvent) =>
  (onboardingMachine.getTransitionData(toMachineSnapshot(snapshot), event) ?? []).length > 0;

/** An onboarding input and the steps of a run (see `drive`: mostly accepted events, some blind ones). */
const scenarioArb = fc.record({ input: onboardingInputArb(), steps: runStepsArb() });

describe('onboarding machine, property-based', () => {
  it('knows its leaf states', () => {
    expect([...LEAVES].sort()).toEqual([
      'failed',
      'policyPending.recordingPolicy',
      'rejected',
      'requiresData',
      'userCreated.submittingKyc',
      'userCreated.triggering',
      'userCreated.uploadingDocuments',
      'verificationPending.checking',
      'verificationPending.waiting',
      'verified',
    ]);
  });

  it('the generated runs reach every leaf state (so the properties below are not vacuous)', () => {
    const reached = new Set<string>();
    for (const { input, steps } of fc.sample(scenarioArb, { seed: 42, numRuns: 200 })) {
      drive(input, steps, (snapshot) => reached.add(statePath(snapshot)));
    }
    expect([...LEAVES].filter((leaf) => !reached.has(leaf))).toEqual([]);
  });

  it('no event sequence throws or reaches a state outside the declared ones', () => {
    fc.assert(
      fc.property(scenarioArb, ({ input, steps }) => {
        drive(input, steps, (snapshot) => {
          expect(LEAVES.has(statePath(snapshot))).toBe(true);
          expect(TOP_LEVEL_STATES).toContain(topLevelState(snapshot));
          pendingEffect(snapshot);
        });
      }),
      RUNS,
    );
  });

  it('a state that calls Crossmint always has its call pending; a final state has nothing pending', () => {
    fc.assert(
      fc.property(scenarioArb, ({ input, steps }) => {
        drive(input, steps, (snapshot) => {
          const effect = pendingEffect(snapshot);
          const path = statePath(snapshot);
          if (path === 'verified' || path === 'rejected')
            expect(effect).toEqual({ kind: 'none', awaits: 'nothing' });
          else if (path === 'requiresData') expect(effect).toEqual({ kind: 'none', awaits: 'data' });
          else if (path === 'failed') expect(effect).toEqual({ kind: 'none', awaits: 'operator' });
          else if (path === 'verificationPending.waiting') expect(effect.kind).toBe('wake');
          else expect(effect.kind).toBe('call');
          if (effect.kind === 'call' && effect.call === 'uploadDocument') {
            expect(effect.documentType).toBe(snapshot.context.pendingDocuments[0]);
          }
        });
      }),
      RUNS,
    );
  });

  it('wakeAt never precedes the accepted event, nor exceeds it by more than the longest wait', () => {
    fc.assert(
      fc.property(scenarioArb, ({ input, steps }) => {
        drive(input, steps, (snapshot, event, before) => {
          if (!accepts(before, event)) {
            expect(snapshot.context).toEqual(before.context);
            return;
          }
          const { wakeAt, policy } = snapshot.context;
          if (wakeAt === null) return;
          const longest = Math.max(policy.maxDelayMs, policy.pollMaxMs, policy.maxRetryAfterMs);
          expect(wakeAt).toBeGreaterThanOrEqual(event.now);
          expect(wakeAt).toBeLessThanOrEqual(event.now + longest);
        });
      }),
      RUNS,
    );
  });

  it('attempts and 429s stay below their limits, and a failure always says why', () => {
    fc.assert(
      fc.property(scenarioArb, ({ input, steps }) => {
        drive(input, steps, (snapshot) => {
          const { attempts, throttled, policy, failure } = snapshot.context;
          expect(attempts).toBeLessThan(Math.max(policy.maxAttempts, 1));
          expect(throttled).toBeLessThan(Math.max(policy.maxThrottled, 1));
          expect(failure !== null).toBe(statePath(snapshot) === 'failed');
        });
      }),
      RUNS,
    );
  });

  it('a snapshot persisted as JSON at any point resumes with the same pending effect and the same next state', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), ({ input, steps }, cut) => {
        const { events } = drive(input, steps);
        const at = events.length === 0 ? 0 : cut % events.length;
        const snapshot = events.slice(0, at).reduce(applyEvent, startOnboarding(input));
        const restored = fromPersisted(JSON.parse(JSON.stringify(toPersisted(snapshot))));
        expect(pendingEffect(restored)).toEqual(pendingEffect(snapshot));
        const rest = events.slice(at);
        const a = rest.reduce(applyEvent, snapshot);
        const b = rest.reduce(applyEvent, restored);
        expect(statePath(b)).toBe(statePath(a));
        expect(b.context).toEqual(a.context);
      }),
      RUNS,
    );
  });
});

describe('startPersisted, the submit path of a new onboarding', () => {
  it('is what toPersisted(startOnboarding(input)) stores, to the byte, for any input', () => {
    fc.assert(
      fc.property(onboardingInputArb(), (input) => {
        const full = toPersisted(startOnboarding(input));
        const fast = startPersisted(input);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(full));
        expect(pendingEffect(fromPersisted(fast))).toEqual(pendingEffect(startOnboarding(input)));
      }),
      RUNS,
    );
  });

  it("shares a frozen state value, so one onboarding cannot change another one's", () => {
    const a = startPersisted({ userId: 'a', seed: 1, now: 0 });
    const b = startPersisted({ userId: 'b', seed: 2, now: 0 });
    expect(Object.isFrozen(a.value)).toBe(true);
    expect(b.value).toBe(a.value);
    expect(a.context).not.toBe(b.context);
  });
});

describe('backoff', () => {
  const STEPS: Step[] = ['recordingPolicy', 'submittingKyc', 'uploadingDocuments', 'triggering', 'checking'];
  const policy = policyArb.map((p) => ({ ...DEFAULT_POLICY, ...p }));

  it('a retry waits at most maxDelayMs and at least half of its capped exponential delay', () => {
    fc.assert(
      fc.property(
        policy,
        fc.integer(),
        fc.constantFrom(...STEPS),
        fc.integer({ min: 1, max: 64 }),
        (p, seed, step, attempt) => {
          const ceiling = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
          const delay = retryDelay(p, seed, step, attempt);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeLessThanOrEqual(p.maxDelayMs);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        },
      ),
      RUNS,
    );
  });

  it('a poll waits at most pollMaxMs and at least half of its capped exponential delay', () => {
    fc.assert(
      fc.property(policy, fc.integer(), fc.integer({ min: 0, max: 64 }), (p, seed, pollCount) => {
        const ceiling = Math.min(p.pollMaxMs, p.pollInitialMs * 2 ** Math.min(pollCount, 30));
        const delay = pollDelay(p, seed, pollCount);
        expect(delay).toBeLessThanOrEqual(p.pollMaxMs);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
      }),
      RUNS,
    );
  });

  it('the same seed always gives the same delay (a replayed snapshot computes the same waits)', () => {
    fc.assert(
      fc.property(
        policy,
        fc.integer(),
        fc.constantFrom(...STEPS),
        fc.integer({ min: 1, max: 10 }),
        (p, seed, step, n) => {
          expect(retryDelay(p, seed, step, n)).toBe(retryDelay({ ...p }, seed, step, n));
        },
      ),
      RUNS,
    );
  });
});

/** Every string value inside `value` (not its keys). */
function stringLeaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringLeaves);
  return [];
}

/** The record's personal data: every string except the id, the acceptance time and the document types. */
function personalStrings(record: object): string[] {
  const keep = new Set(['userId', 'privacyPolicyAcceptedAt', 'documentType', 'type']);
  const out: string[] = [];
  const walk = (value: unknown, key: string) => {
    if (keep.has(key)) return;
    if (typeof value === 'string') out.push(value);
    else if (typeof value === 'object' && value !== null)
      for (const [k, v] of Object.entries(value)) walk(v, Array.isArray(value) ? key : k);
  };
  walk(record, '');
  return out.filter((s) => s.length >= 3);
}

describe('no personal data in the machine context', () => {
  // The machine is built only from the userId and the document types of a record. The check
  // searches the serialised context for every personal string; a bare capitalised word (a name)
  // is searched among the context's string values only, since a name like "Delay" could match a
  // context key such as "maxDelayMs" by coincidence.
  const recordAndSteps = fc.record({
    record: recordArb({ userId: fc.integer({ min: 0 }).map((n) => `user-${n}`) }),
    seed: fc.integer(),
    now: fc.nat(),
    steps: runStepsArb(),
  });

  it('after any event sequence, JSON.stringify(context) holds no string of the record', () => {
    fc.assert(
      fc.property(recordAndSteps, ({ record, seed, now, steps }) => {
        const input: OnboardingInput = {
          userId: record.userId,
          seed,
          now,
          documentTypes: (record.documents ?? []).map((d) => d.documentType),
        };
        const secrets = personalStrings(record);
        drive(input, steps, (snapshot) => {
          const json = JSON.stringify(snapshot.context);
          const values = stringLeaves(snapshot.context).join('\n');
          for (const secret of secrets) {
            if (/^[\p{L}' -]+$/u.test(secret)) expect(values).not.toContain(secret);
            else expect(json).not.toContain(secret);
          }
        });
      }),
      RUNS,
    );
  });

  it('the canary record, taken through a whole flow, leaves no trace in any snapshot', () => {
    const record = canaryRecord();
    const events: OnboardingEvent[] = [
      { type: 'POLICY_RECORDED', now: 1 },
      { type: 'USER_UPSERTED', now: 2, created: true },
      { type: 'VERIFICATION_STATUS', now: 3, eligibility: [{ type: 'offramp', status: 'pending-review' }] },
      { type: 'DUE', now: 10_000 },
      { type: 'VERIFICATION_STATUS', now: 10_001, eligibility: [{ type: 'offramp', status: 'verified' }] },
    ];
    let snapshot = startOnboarding({ userId: record.userId, seed: 1, now: 0 });
    for (const event of events) {
      snapshot = applyEvent(snapshot, event);
      const json = JSON.stringify(toPersisted(snapshot));
      expect(json).not.toContain(CANARY.ssn);
      expect(json).not.toContain(CANARY.email);
    }
    expect(statePath(snapshot)).toBe('verified');
  });
});
