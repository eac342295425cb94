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

export function configFrom(options: SandboxOptions): SandboxConfig {
  const config: SandboxConfig = { ...DEFAULT_CONFIG, faults: [...DEFAULT_CONFIG.faults] };
  const problem = applyConfigPatch(config, options);
  if (problem !== undefined) throw new TypeError(`invalid sandbox option: ${problem}`);
  return config;
}

const NUMBER_KEYS = [
  'latencyMs',
  'hangMs',
  'writesPerMin',
  'readsPerMin',
  'verifyAfterPolls',
] as const satisfies readonly (keyof SandboxConfig)[];

/**
 * Validates and applies a partial config in place. Returns a description of the first bad field
 * (nothing is applied then), because the admin API takes untrusted JSON.
 */
export function applyConfigPatch(config: SandboxConfig, patch: unknown): string | undefined {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return 'body must be an object';
  const p = patch as Record<string, unknown>;
  const next: SandboxConfig = { ...config };
  for (const key of NUMBER_KEYS) {
    const v = p[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return `${key} must be a number >= 0`;
    next[key] = v;
  }
  if (p.faultRate !== undefined) {
    const v = p.faultRate;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) return 'faultRate must be a number between 0 and 1';
    next.faultRate = v;
  }
  if (p.verifyAfterMs !== undefined) {
    const v = p.verifyAfterMs;
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      return 'verifyAfterMs must be a number >= 0 or null';
    }
    next.verifyAfterMs = v;
  }
  if (p.faults !== undefined) {
    const v = p.faults;
    if (!Array.isArray(v) || !v.every((k): k is FaultKind => FAULT_KINDS.includes(k as FaultKind))) {
      return `faults must be a list of ${FAULT_KINDS.join(', ')}`;
    }
    next.faults = [...new Set(v)];
  }
  for (const key of ['kycDisabled', 'strict'] as const) {
    const v = p[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') return `${key} must be a boolean`;
    next[key] = v;
  }
  Object.assign(config, next);
  return undefined;
}
