import { hostname } from 'node:os';
import {
  type CrossmintPort,
  DEFAULT_POLICY,
  type OnboardingStore,
  type PolicyOverrides,
  PRODUCT_TYPES,
  type ProductType,
  policyWith,
} from '@kyc-handoff/core';
import { type Clock, systemClock } from './clock.js';
import { createDocumentReader, type DocumentReader } from './documents.js';
import { type Logger, silentLogger } from './logger.js';

/** The subset of `@statelyai/inspect`'s inspector the engine feeds (see `createStatelyInspector`). */
export interface InspectorLike {
  actor(id: string, snapshot?: unknown, info?: { definition?: string }): void;
  event(id: string, event: { type: string }): void;
  snapshot(id: string, snapshot: unknown, info?: { event?: { type: string } }): void;
}

/** Calls per minute, or `'unlimited'` (a sandbox without limits). */
export type PerMinute = number | 'unlimited';

export interface BudgetLimits {
  /** Crossmint's published default is 120 writes a minute per project. */
  writesPerMinute?: PerMinute | undefined;
  /** Crossmint's published default is 360 reads a minute per project. */
  readsPerMinute?: PerMinute | undefined;
}

export interface HandoffOptions {
  crossmint: CrossmintPort;
  store: OnboardingStore;
  /** Rate budgets per minute; defaults are Crossmint's published limits (120 writes, 360 reads). */
  budgets?: BudgetLimits | undefined;
  /** Onboardings driven at once (each with at most one Crossmint call in flight). */
  concurrency?: number | undefined;
  /** Products that must be verified; default offramp. */
  targets?: readonly ProductType[] | undefined;
  policy?: PolicyOverrides | undefined;
  clock?: Clock | undefined;
  /** Names this worker in leases; default host:pid:random. */
  owner?: string | undefined;
  /** How long a claim lasts unless renewed: a crashed worker's onboardings wait this long. */
  leaseMs?: number | undefined;
  /**
   * Reads the documents of records; default `createDocumentReader({ root: process.cwd() })`: files
   * inside the working directory only, at most 10 MB each, 64 MB held at once.
   */
  readDocument?: DocumentReader | undefined;
  logger?: Logger | undefined;
  inspector?: InspectorLike | undefined;
  /** Refuse records that certainly miss what Crossmint requires for their region (default true). */
  precheck?: boolean | undefined;
  /** How often an idle worker looks for work added by someone else (default 5 s). */
  idleSweepMs?: number | undefined;
  /**
   * Answers of one fatal kind (the key refused, the project not enabled) after which `run()` ends
   * with a HandoffFatalError, unless some call succeeded in between (default 3).
   */
  fatalAfter?: number | undefined;
}

/** The defaults every embedder and the CLI share; the CLI shows these in its --help. */
export const DEFAULTS = {
  concurrency: 16,
  writesPerMinute: 120,
  readsPerMinute: 360,
  leaseMs: 60_000,
  idleSweepMs: 5_000,
  targets: ['offramp'] as readonly ProductType[],
  fatalAfter: 3,
} as const;

/** Every option with its default applied and checked. */
export interface ResolvedOptions {
  crossmint: CrossmintPort;
  store: OnboardingStore;
  /** Per minute; Infinity when unlimited. */
  writesPerMinute: number;
  readsPerMinute: number;
  concurrency: number;
  targets: readonly ProductType[];
  policy: PolicyOverrides | undefined;
  clock: Clock;
  owner: string;
  leaseMs: number;
  readDocument: DocumentReader;
  logger: Logger;
  inspector: InspectorLike | undefined;
  precheck: boolean;
  idleSweepMs: number;
  fatalAfter: number;
}

/** An option that cannot work, refused before anything runs; the message names the option. */
export class HandoffConfigError extends Error {
  override readonly name = 'HandoffConfigError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option} ${message}`);
  }
}

/** Above this a timer fires at once (Node's setTimeout limit), so no duration may exceed it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function wholeNumber(option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new HandoffConfigError(
      option,
      `must be a whole number from ${min} to ${max}, not ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}

function perMinute(option: string, value: PerMinute | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === 'unlimited') return Number.POSITIVE_INFINITY;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
  throw new HandoffConfigError(
    option,
    `must be a whole number of calls a minute (at least 1) or 'unlimited', not ${String(value)}`,
  );
}

function checkPolicy(policy: PolicyOverrides | undefined): PolicyOverrides | undefined {
  if (policy === undefined) return undefined;
  for (const [key, value] of Object.entries(policy)) {
    if (!(key in DEFAULT_POLICY)) {
      throw new HandoffConfigError(
        `policy.${key}`,
        `is not a policy setting (${Object.keys(DEFAULT_POLICY).join(', ')})`,
      );
    }
    if (value === undefined) continue;
    const counts = key === 'maxAttempts' || key === 'maxThrottled' || key === 'maxPolicyRounds';
    wholeNumber(`policy.${key}`, value, counts ? 0 : 1, counts ? 1_000 : MAX_TIMER_MS);
  }
  const merged = policyWith(policy);
  if (merged.maxAttempts < 1) throw new HandoffConfigError('policy.maxAttempts', 'must be at least 1');
  if (merged.pollInitialMs > merged.pollMaxMs) {
    throw new HandoffConfigError(
      'policy.pollInitialMs',
      `must not exceed policy.pollMaxMs (${merged.pollMaxMs})`,
    );
  }
  if (merged.baseDelayMs > merged.maxDelayMs) {
    throw new HandoffConfigError(
      'policy.baseDelayMs',
      `must not exceed policy.maxDelayMs (${merged.maxDelayMs})`,
    );
  }
  return policy;
}

function checkTargets(targets: readonly ProductType[] | undefined): readonly ProductType[] {
  if (targets === undefined) return DEFAULTS.targets;
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new HandoffConfigError('targets', `must name at least one product (${PRODUCT_TYPES.join(', ')})`);
  }
  for (const target of targets) {
    if (!(PRODUCT_TYPES as readonly string[]).includes(target)) {
      throw new HandoffConfigError('targets', `holds an unknown product; use ${PRODUCT_TYPES.join(', ')}`);
    }
  }
  if (new Set(targets).size !== targets.length)
    throw new HandoffConfigError('targets', 'names a product twice');
  return [...targets];
}

/**
 * Applies the defaults and refuses, with a HandoffConfigError naming the option, every value that
 * cannot work: NaN, zero, negative, fractional or infinite counts and durations (a lease of -5 ms once
 * made 8,858 requests in 10 s for one user), a budget of 0 (use 'unlimited'), no targets.
 */
export function resolveHandoffOptions(options: HandoffOptions): ResolvedOptions {
  if (options.crossmint === undefined || options.crossmint === null) {
    throw new HandoffConfigError(
      'crossmint',
      'is required: a CrossmintPort such as createCrossmintClient(…)',
    );
  }
  if (options.store === undefined || options.store === null) {
    throw new HandoffConfigError('store', 'is required: an OnboardingStore such as openSqliteStore(…)');
  }
  const owner = options.owner ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  if (typeof owner !== 'string' || owner.trim() === '' || owner.length > 200) {
    throw new HandoffConfigError('owner', 'must be a non-empty string of at most 200 characters');
  }
  return {
    crossmint: options.crossmint,
    store: options.store,
    writesPerMinute: perMinute(
      'budgets.writesPerMinute',
      options.budgets?.writesPerMinute,
      DEFAULTS.writesPerMinute,
    ),
    readsPerMinute: perMinute(
      'budgets.readsPerMinute',
      options.budgets?.readsPerMinute,
      DEFAULTS.readsPerMinute,
    ),
    concurrency: wholeNumber('concurrency', options.concurrency ?? DEFAULTS.concurrency, 1, 10_000),
    targets: checkTargets(options.targets),
    policy: checkPolicy(options.policy),
    clock: options.clock ?? systemClock,
    owner,
    leaseMs: wholeNumber('leaseMs', options.leaseMs ?? DEFAULTS.leaseMs, 1_000, MAX_TIMER_MS),
    readDocument: options.readDocument ?? createDocumentReader({ root: process.cwd() }),
    logger: options.logger ?? silentLogger,
    inspector: options.inspector,
    precheck: options.precheck !== false,
    idleSweepMs: wholeNumber('idleSweepMs', options.idleSweepMs ?? DEFAULTS.idleSweepMs, 1, MAX_TIMER_MS),
    fatalAfter: wholeNumber('fatalAfter', options.fatalAfter ?? DEFAULTS.fatalAfter, 1, 1_000),
  };
}
