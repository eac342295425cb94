import type { FaultKind } from './faults.js';

export interface RouteStats {
  total: number;
  byStatus: Record<string, number>;
  faults: Partial<Record<FaultKind, number>>;
}

export interface SandboxStats {
  total: number;
  byStatus: Record<string, number>;
  faults: Partial<Record<FaultKind, number>>;
  /** Real rate-limit refusals (not the `429` fault). */
  rateLimited: number;
  /** Keyed by route label such as `PUT /users/{locator}`; `unknown` for unmatched paths. */
  byRoute: Record<string, RouteStats>;
}

/** Request counters for the admin view; admin calls themselves are not counted. */
export class StatsRecorder {
  #stats: SandboxStats = empty();

  #route(label: string): RouteStats {
    let route = this.#stats.byRoute[label];
    if (route === undefined) {
      route = { total: 0, byStatus: {}, faults: {} };
      this.#stats.byRoute[label] = route;
    }
    return route;
  }

  request(label: string): void {
    this.#stats.total++;
    this.#route(label).total++;
  }

  status(label: string, status: number): void {
    const key = String(status);
    const route = this.#route(label);
    route.byStatus[key] = (route.byStatus[key] ?? 0) + 1;
    this.#stats.byStatus[key] = (this.#stats.byStatus[key] ?? 0) + 1;
  }

  fault(label: string, kind: FaultKind): void {
    const route = this.#route(label);
    route.faults[kind] = (route.faults[kind] ?? 0) + 1;
    this.#stats.faults[kind] = (this.#stats.faults[kind] ?? 0) + 1;
  }

  rateLimited(): void {
    this.#stats.rateLimited++;
  }

  snapshot(): SandboxStats {
    return structuredClone(this.#stats);
  }

  reset(): void {
    this.#stats = empty();
  }
}

function empty(): SandboxStats {
  return { total: 0, byStatus: {}, faults: {}, rateLimited: 0, byRoute: {} };
}
