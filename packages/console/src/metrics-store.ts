import { LANES, TOP_LEVEL_STATES } from '@kyc-handoff/core';
import type { BudgetView } from '@kyc-handoff/engine';
import { Gauge, type Registry } from 'prom-client';
import type { ScrapeView } from './metrics-scrape.js';

/**
 * Leaves a label-less gauge without a sample: prom-client's reset() puts it back at 0, and a 0 poll
 * interval or ETA would be a claim, where no sample says "unknown".
 */
export function empty(gauge: Gauge): void {
  gauge.reset();
  gauge.remove();
}

/**
 * The metrics read from the store at scrape time (through the handoff's `stats()` and
 * `outbox.stats()`, read once per scrape by `scrape`). A part that could not be read is left out of
 * that scrape: an absent series says "unknown", where a 0 would lie.
 */
export function registerStoreMetrics(
  registry: Registry,
  scrape: () => Promise<ScrapeView>,
  now: () => number,
): void {
  const registers = [registry];

  const onboardings: Gauge<'state'> = new Gauge({
    name: 'kyc_handoff_onboardings',
    help: 'Onboardings in the store by top-level state (every state, 0 when none)',
    labelNames: ['state'],
    registers,
    collect: async () => {
      const { stats } = await scrape();
      onboardings.reset();
      if (stats === undefined) return;
      for (const state of TOP_LEVEL_STATES) onboardings.set({ state }, stats.states[state] ?? 0);
    },
  });

  const pollInterval: Gauge = new Gauge({
    name: 'kyc_handoff_poll_interval_seconds',
    help: 'Time between two polls of one user under review that the read budget allows (absent while reads are unlimited)',
    registers,
    collect: async () => {
      const { stats } = await scrape();
      empty(pollInterval);
      if (stats?.pollIntervalMs != null) pollInterval.set(stats.pollIntervalMs / 1000);
    },
  });

  const eta: Gauge = new Gauge({
    name: 'kyc_handoff_eta_seconds',
    help: 'Time until every onboarding has made the writes it needs and been polled once, at the pace of the binding budget (absent when no budget limits)',
    registers,
    collect: async () => {
      const { stats } = await scrape();
      empty(eta);
      if (stats?.etaMs != null) eta.set(stats.etaMs / 1000);
    },
  });

  // Per second, as rate() of the granted counter is: the two plot on one axis.
  const perSecondByBudget = (
    name: string,
    help: string,
    pick: (view: BudgetView) => number | 'unlimited',
  ) => {
    const gauge: Gauge<'budget'> = new Gauge({
      name,
      help,
      labelNames: ['budget'],
      registers,
      collect: async () => {
        const { stats } = await scrape();
        gauge.reset();
        if (stats === undefined) return;
        for (const budget of LANES) {
          const perMinute = pick(stats.budgets[budget]);
          if (typeof perMinute === 'number') gauge.set({ budget }, perMinute / 60);
        }
      },
    });
  };
  perSecondByBudget(
    'kyc_handoff_budget_limit_per_second',
    "A budget's configured limit in tokens (calls) per second (Crossmint's: 2 writes, 6 reads); absent when unlimited",
    (view) => view.perMinute,
  );
  perSecondByBudget(
    'kyc_handoff_budget_pace_per_second',
    'The pace the engine keeps on a budget now, in tokens per second (below the limit; lower after a 429); absent when unlimited',
    (view) => view.pacePerMinute,
  );

  const outboxEvents: Gauge<'status'> = new Gauge({
    name: 'kyc_handoff_outbox_events',
    help: 'Outbox events by delivery status: pending (the backlog), failed (given up after retries), delivered',
    labelNames: ['status'],
    registers,
    collect: async () => {
      const { outbox } = await scrape();
      outboxEvents.reset();
      if (outbox === undefined) return;
      outboxEvents.set({ status: 'pending' }, outbox.pending);
      outboxEvents.set({ status: 'failed' }, outbox.failed);
      outboxEvents.set({ status: 'delivered' }, outbox.delivered);
    },
  });

  const oldestPending: Gauge = new Gauge({
    name: 'kyc_handoff_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest outbox event not delivered yet (0 when none is pending)',
    registers,
    collect: async () => {
      const { outbox } = await scrape();
      empty(oldestPending);
      if (outbox === undefined) return;
      const at = outbox.oldestPendingAt;
      oldestPending.set(at === null ? 0 : Math.max(0, (now() - at) / 1000));
    },
  });
}
