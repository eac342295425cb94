import type { IncomingHttpHeaders } from 'node:http';
import { NOT_ENABLED_MESSAGE, type ProductType, type VerificationStatus } from '@kyc-handoff/core';
import { adminRoute } from './admin.js';
import { authenticate } from './auth.js';
import { SandboxClock } from './clock.js';
import { FAULT_HEADER, FAULT_KINDS, type FaultKind, isFaultKind, pickFault } from './faults.js';
import { parseLocator } from './locator.js';
import { applyConfigPatch, configFrom, type SandboxConfig, type SandboxOptions } from './options.js';
import { mulberry32 } from './random.js';
import { SlidingWindowLimiter } from './rate-limit.js';
import { error, type Reply } from './reply.js';
import { matchRoute, runEndpoint, WRITE_ENDPOINT_OF } from './routes.js';
import { SandboxState, type StoredUser, type UserView, viewOf } from './state.js';
import { type SandboxStats, StatsRecorder } from './stats.js';
import { force } from './verification.js';

export interface SandboxRequest {
  method: string;
  /** Path with query string, as in `req.url`. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the transport must do with a request; faults are data so the app stays synchronous. */
export type Outcome =
  | { type: 'reply'; reply: Reply; delayMs: number }
  | { type: 'hang'; ms: number }
  | { type: 'destroy'; delayMs: number };

const WRITE_METHODS = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);

/**
 * The sandbox without sockets: state, rules, faults and admin operations. `createSandbox` wraps
 * it in node:http; tests or other transports can call `handle` directly.
 */
export class SandboxApp {
  readonly clock: SandboxClock;
  readonly #config: SandboxConfig;
  readonly #state = new SandboxState();
  readonly #stats = new StatsRecorder();
  readonly #limiter = new SlidingWindowLimiter();
  readonly #random: () => number;

  constructor(options: SandboxOptions = {}) {
    this.#config = configFrom(options);
    this.clock = new SandboxClock(options.clock);
    this.#random = mulberry32(options.seed ?? Math.floor(Math.random() * 0x100000000));
  }

  handle(req: SandboxRequest): Outcome {
    const q = req.url.indexOf('?');
    const path = q === -1 ? req.url : req.url.slice(0, q);
    if (path.startsWith('/__sandbox/')) {
      return {
        type: 'reply',
        reply: adminRoute(this, req.method, path, req.url.slice(path.length), req),
        delayMs: 0,
      };
    }
    const reply = (r: Reply): Outcome => ({ type: 'reply', reply: r, delayMs: this.#config.latencyMs });
    const route = matchRoute(path);
    if (route === undefined) {
      this.#count('unknown', 404);
      return reply(error(404, 'no such route'));
    }
    const label = `${req.method} ${route.pattern}`;
    const endpoint = route.methods[req.method];
    if (endpoint === undefined) {
      this.#count(label, 405);
      return reply(error(405, 'method not allowed', { allow: Object.keys(route.methods).join(', ') }));
    }
    const auth = authenticate(req.headers['x-api-key']);
    if (!auth.ok) return reply(this.#count(label, auth.status, error(auth.status, auth.message)));
    if (this.#config.kycDisabled) return reply(this.#count(label, 403, error(403, NOT_ENABLED_MESSAGE)));

    const isWrite = WRITE_METHODS.has(req.method);
    const now = this.clock.now();
    const limit = isWrite ? this.#config.writesPerMin : this.#config.readsPerMin;
    const slot = this.#limiter.take(`${isWrite ? 'w' : 'r'}:${auth.apiKey}`, limit, now);
    if (!slot.ok) {
      this.#stats.rateLimited();
      const retryAfter = String(slot.retryAfterSeconds);
      return reply(this.#count(label, 429, error(429, 'rate limit exceeded', { 'retry-after': retryAfter })));
    }

    const forced = req.headers[FAULT_HEADER];
    let fault: FaultKind | undefined;
    if (typeof forced === 'string' && forced !== '') {
      if (!isFaultKind(forced)) {
        return reply(
          this.#count(label, 400, error(400, `X-Sandbox-Fault must be one of ${FAULT_KINDS.join(', ')}`)),
        );
      }
      fault = forced;
    } else {
      fault = pickFault(this.#random, this.#config.faultRate, this.#config.faults);
    }

    const run = () =>
      runEndpoint(endpoint, {
        project: this.#state.project(auth.apiKey),
        config: this.#config,
        now,
        random: this.#random,
        rawBody: req.body,
        param: route.param,
      });

    if (fault === undefined) {
      const r = run();
      return reply(this.#count(label, r.status, r));
    }
    this.#stats.request(label);
    this.#stats.fault(label, fault);
    switch (fault) {
      case '429':
        this.#stats.status(label, 429);
        return reply(error(429, 'rate limit exceeded (sandbox fault)', { 'retry-after': '1' }));
      case '500':
        this.#stats.status(label, 500);
        return reply(error(500, 'internal server error (sandbox fault)'));
      case '503':
        this.#stats.status(label, 503);
        return reply(error(503, 'service unavailable (sandbox fault)'));
      case 'hang':
        return { type: 'hang', ms: this.#config.hangMs };
      case 'reset':
        return { type: 'destroy', delayMs: this.#config.latencyMs };
      case 'lost-response':
        // The write lands, only the answer is lost: the case idempotent clients must survive.
        if (endpoint in WRITE_ENDPOINT_OF) run();
        return { type: 'destroy', delayMs: this.#config.latencyMs };
    }
  }

  #count(label: string, status: number, r?: Reply): Reply {
    this.#stats.request(label);
    this.#stats.status(label, status);
    return r as Reply;
  }

  // Admin operations, shared by the JS API and /__sandbox/.

  stats(): SandboxStats {
    return this.#stats.snapshot();
  }

  config(): SandboxConfig {
    return { ...this.#config, faults: [...this.#config.faults] };
  }

  /** Throws on an invalid patch (a programmer error in JS; the admin route turns it into a 400). */
  configure(patch: Partial<SandboxConfig>): SandboxConfig {
    const problem = applyConfigPatch(this.#config, patch);
    if (problem !== undefined) throw new TypeError(problem);
    return this.config();
  }

  /** Clears users, documents, rate windows and stats; keeps config and clock. */
  reset(): void {
    this.#state.clear();
    this.#limiter.clear();
    this.#stats.reset();
  }

  /** Throws RangeError, moving nothing, unless 0 <= ms <= 100 years and the clock stays a valid Date. */
  advanceClock(ms: number): number {
    return this.clock.advance(ms);
  }

  now(): number {
    return this.clock.now();
  }

  #find(apiKey: string, locator: string): StoredUser | undefined {
    const parsed = parseLocator(locator);
    return parsed.ok ? this.#state.find(apiKey, parsed.locator) : undefined;
  }

  user(apiKey: string, locator: string): UserView | undefined {
    const user = this.#find(apiKey, locator);
    return user === undefined ? undefined : viewOf(user);
  }

  /** Returns false when the user does not exist. */
  forceStatus(
    apiKey: string,
    locator: string,
    status: VerificationStatus,
    product?: ProductType,
    missing?: { missingData?: string[]; missingDocuments?: string[] },
  ): boolean {
    const user = this.#find(apiKey, locator);
    if (user === undefined) return false;
    force(user, this.clock.now(), status, product, missing);
    return true;
  }
}
