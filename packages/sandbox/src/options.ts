import type { Clock } from './clock.js';
import { FAULT_KINDS, type FaultKind } from './faults.js';

/** Settings that can change while the sandbox runs (JS `configure()` or `PUT /__sandbox/config`). */
export interface SandboxConfig {
  /** Probability (0..1) that a request gets one of `faults`. */
  faultRate: number;
  /** Fault kinds drawn from when `faultRate` fires. */
  faults: FaultKind[];
  /** Delay before every answer, in real milliseconds. */
  latencyMs: number;
  /** How long a `hang` fault holds a request before dropping it, in real milliseconds. */
  hangMs: number;
  /** Writes (PUT/POST/PATCH/DELETE) per API key per sliding minute; 0 = unlimited. */
  writesPerMin: number;
  /** Reads (GET) per API key per sliding minute; 0 = unlimited. */
  readsPerMin: number;
  /** `pending-review` turns `verified` on this many identity-verification reads after a trigger. */
  verifyAfterPolls: number;
  /** When set, `pending-review` turns `verified` this many sandbox-clock ms after a trigger instead. */
  verifyAfterMs: number | null;
  /** Every users/documents route answers 403 "project not configured…". */
  kycDisabled: boolean;
  /** Refuse the documented-but-sloppy inputs (acceptedAt without Z). */
  strict: boolean;
}

/** Every setting is optional, and `undefined` means "the default" (handy when passing CLI flags through). */
export type SandboxOptions = { [K in keyof SandboxConfig]?: SandboxConfig[K] | undefined } & {
  /** Makes every random choice (faults, ids) repeatable. */
  seed?: number | undefined;
  /** Time source; defaults to real time. `advanceClock` adds an offset on top of it. */
  clock?: Clock | undefined;
};

export const DEFAULT_CONFIG: Readonly<SandboxConfig> = Object.freeze({
  faultRate: 0,
  faults: [...FAULT_KINDS],
  latencyMs: 0,
  hangMs: 120_000,
  writesPerMin: 120,
  readsPerMin: 360,
  verifyAfterPolls: 1,
  verifyAfterMs: null,
  kycDisabled: false,
  strict: false,
});

/** Node's setTimeout fires at once for a delay above this (it holds a 32-bit signed ms count). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The last instant a Date can hold; past it toISOString throws. */
export const MAX_DATE_MS = 8.64e15;
/** The largest clock step, and verifyAfterMs: 100 years, far beyond any test and far inside a Date. */
export const MAX_CLOCK_STEP_MS = 100 * 365.25 * 24 * 3_600_000;

const isNumberIn = (v: unknown, max: number) => typeof v === 'number' && v >= 0 && v <= max;
const timerMs = {
  ok: (v: unknown) => isNumberIn(v, MAX_TIMER_MS),
  rule: `must be a number of ms from 0 to ${MAX_TIMER_MS} (the most a Node timer waits)`,
};
const count = {
  ok: (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0,
  rule: 'must be a whole number >= 0',
};
const flag = { ok: (v: unknown) => typeof v === 'boolean', rule: 'must be true or false' };

/** Every setting's rule, in one place: the JS API, the admin API and the CLI flags all use it. */
const RULES: { readonly [K in keyof SandboxConfig]: { ok(v: unknown): boolean; rule: string } } = {
  faultRate: { ok: (v) => isNumberIn(v, 1), rule: 'must be a number from 0 to 1' },
  faults: {
    ok: (v) => Array.isArray(v) && v.every((k) => FAULT_KINDS.includes(k as FaultKind)),
    rule: `must be a list of ${FAULT_KINDS.join(', ')}`,
  },
  latencyMs: timerMs,
  hangMs: timerMs,
  writesPerMin: count,
  readsPerMin: count,
  verifyAfterPolls: count,
  verifyAfterMs: {
    ok: (v) => v === null || isNumberIn(v, MAX_CLOCK_STEP_MS),
    rule: `must be null or a number of ms from 0 to ${MAX_CLOCK_STEP_MS} (100 years)`,
  },
  kycDisabled: flag,
  strict: flag,
};

const isConfigKey = (key: string): key is keyof SandboxConfig => Object.hasOwn(RULES, key);

/** The rule `value` breaks as `key` ("must be …"), or undefined when it is acceptable. */
export function configRuleBroken(key: keyof SandboxConfig, value: unknown): string | undefined {
  return RULES[key].ok(value) ? undefined : RULES[key].rule;
}

export function configFrom(options: SandboxOptions): SandboxConfig {
  const { seed, clock: _, ...settings } = options;
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    throw new TypeError('invalid sandbox option: seed must be a whole number');
  }
  const config: SandboxConfig = { ...DEFAULT_CONFIG, faults: [...DEFAULT_CONFIG.faults] };
  const problem = applyConfigPatch(config, settings);
  if (problem !== undefined) throw new TypeError(`invalid sandbox option: ${problem}`);
  return config;
}

/**
 * Validates a partial config and applies it in place only if every field passes; otherwise returns
 * the first bad field and its rule and changes nothing, because the admin API takes untrusted JSON.
 * An `undefined` field keeps its value (CLI flags pass through unset).
 */
export function applyConfigPatch(config: SandboxConfig, patch: unknown): string | undefined {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return 'body must be an object';
  const next: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(patch)) {
    if (!isConfigKey(key)) return `${key} is not a setting (known: ${Object.keys(RULES).join(', ')})`;
    if (value === undefined) continue;
    const broken = configRuleBroken(key, value);
    if (broken !== undefined) return `${key} ${broken}`;
    next[key] = key === 'faults' ? [...new Set(value as FaultKind[])] : value;
  }
  Object.assign(config, next);
  return undefined;
}

/** Why the sandbox clock, now at `now`, cannot move by `ms`; undefined when it can. */
export function clockStepProblem(ms: unknown, now: number): string | undefined {
  if (!isNumberIn(ms, MAX_CLOCK_STEP_MS)) {
    return `ms must be a number from 0 to ${MAX_CLOCK_STEP_MS} (100 years) per step`;
  }
  if (now + (ms as number) > MAX_DATE_MS) {
    return `ms would move the clock past ${new Date(MAX_DATE_MS).toISOString()}, the last date a clock can show`;
  }
  return undefined;
}
