import { LANES, type Lane } from '@kyc-handoff/core';
import type { BudgetActivity, Handoff } from '@kyc-handoff/engine';
import { Counter, Gauge, type Registry } from 'prom-client';
import { empty } from './metrics-store.js';

type Activity = ReturnType<Handoff['activity']>;

/**
 * The metrics read from the engine's `activity()` at scrape time: in memory, so they cost nothing
 * and never fail. Absent until a handoff is attached.
 */
export function registerActivityMetrics(registry: Registry, activity: () => Activity | undefined): void {
  const registers = [registry];
  const eachBudget = (fn: (budget: Lane, b: BudgetActivity) => void) => {
    const a = activity();
    if (a !== undefined) for (const budget of LANES) fn(budget, a.budgets[budget]);
  };

  const granted = runningTotal();
  const tokensGranted: Counter<'budget'> = new Counter({
    name: 'kyc_handoff_budget_tokens_granted_total',
    help: 'Budget tokens (Crossmint calls) this process was granted, by budget',
    labelNames: ['budget'],
    registers,
    collect: () => {
      const a = activity();
      if (a === undefined) return;
      granted.advance(a.writesGranted, (n) => tokensGranted.inc({ budget: 'write' }, n), 'write');
      granted.advance(a.readsGranted, (n) => tokensGranted.inc({ budget: 'read' }, n), 'read');
    },
  });

  const tokensAvailable: Gauge<'budget'> = new Gauge({
    name: 'kyc_handoff_budget_tokens_available',
    help: "Tokens a budget holds now (with a budget shared through PostgreSQL, this worker's credit); absent when unlimited",
    labelNames: ['budget'],
    registers,
    collect: () => {
      tokensAvailable.reset();
      eachBudget((budget, b) => {
        if (Number.isFinite(b.tokens)) tokensAvailable.set({ budget }, Math.max(0, b.tokens));
      });
    },
  });

  const waiting: Gauge<'budget'> = new Gauge({
    name: 'kyc_handoff_budget_waiting',
    help: "1 while the engine waits for this budget's next token before claiming more (due onboardings wait for the budget, not for a slot), else 0",
    labelNames: ['budget'],
    registers,
    collect: () => {
      waiting.reset();
      eachBudget((budget, b) => waiting.set({ budget }, b.waitingForToken ? 1 : 0));
    },
  });

  const paused: Gauge<'budget'> = new Gauge({
    name: 'kyc_handoff_budget_paused_seconds',
    help: "Time Crossmint's Retry-After (after a 429) still pauses this budget (0 when not paused)",
    labelNames: ['budget'],
    registers,
    collect: () => {
      paused.reset();
      eachBudget((budget, b) => paused.set({ budget }, b.pausedForMs / 1000));
    },
  });

  const quarantinedTotal = runningTotal();
  const quarantined: Counter = new Counter({
    name: 'kyc_handoff_quarantined_total',
    help: 'Onboardings this process moved to failed because their stored row or record was unreadable',
    registers,
    collect: () => {
      const a = activity();
      if (a !== undefined) quarantinedTotal.advance(a.quarantined, (n) => quarantined.inc(n));
    },
  });

  const inFlight: Gauge = new Gauge({
    name: 'kyc_handoff_crossmint_calls_in_flight',
    help: 'Crossmint calls waiting for their answer now',
    registers,
    collect: () => {
      empty(inFlight);
      const a = activity();
      if (a !== undefined) inFlight.set(a.callsInFlight);
    },
  });

  const driving: Gauge = new Gauge({
    name: 'kyc_handoff_onboardings_driving',
    help: 'Onboardings this process is driving now (claimed; at most its concurrency)',
    registers,
    collect: () => {
      empty(driving);
      const a = activity();
      if (a !== undefined) driving.set(a.driving);
    },
  });
}

/**
 * A counter fed from a running total the engine keeps: it grows by what the total grew since the
 * last scrape. The total may dip for a moment (tokens reserved, then given back): the counter then
 * waits until the total passes its highest value, so it never goes down. The first scrape adds
 * the whole total, so the series exists (at 0) from the start.
 */
function runningTotal() {
  const highest = new Map<string, number>();
  return {
    advance(total: number, inc: (n: number) => void, key = ''): void {
      const last = highest.get(key);
      if (last !== undefined && total <= last) return;
      const grown = Math.max(0, total) - (last ?? 0);
      inc(grown);
      highest.set(key, last === undefined ? Math.max(0, total) : total);
    },
  };
}
