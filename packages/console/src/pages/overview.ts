import { type Lane, type StateCounts, TOP_LEVEL_STATES, type TopLevelState } from '@kyc-handoff/core';
import type { BudgetView, Handoff } from '@kyc-handoff/engine';
import type { ConsoleContext } from '../context.js';
import { count, duration, rate } from '../format.js';
import { type Html, html } from '../html.js';
import { throughputChart } from './chart.js';

/**
 * How far along the machine each state is, for the funnel: an onboarding counts in every stage up
 * to its own. `failed` can happen at any step and the row does not say which, so it counts only
 * as submitted; `requiresData` and `rejected` come after a triggered verification.
 */
const STAGE_OF: Record<TopLevelState, number> = {
  policyPending: 0,
  failed: 0,
  userCreated: 1,
  verificationPending: 2,
  requiresData: 2,
  rejected: 2,
  verified: 3,
};
const STAGES = ['submitted', 'user created (policy recorded)', 'verification triggered', 'verified'] as const;

export function funnel(states: StateCounts): { stage: string; count: number }[] {
  return STAGES.map((stage, i) => ({
    stage,
    count: TOP_LEVEL_STATES.reduce((sum, s) => sum + (STAGE_OF[s] >= i ? (states[s] ?? 0) : 0), 0),
  }));
}

type BudgetNow = ReturnType<Handoff['activity']>['budgets'][Lane];

/** What a budget is doing now: tokens in hand, or why work waits (a token, a 429's Retry-After). */
function budgetState(now: BudgetNow): string {
  if (now.pausedForMs > 0) return `paused by a 429 for ${duration(now.pausedForMs)}`;
  if (now.waitingForToken) return 'due work waits for a token';
  return Number.isFinite(now.tokens) ? `${rate(now.tokens)} tokens free` : 'unlimited';
}

const budget = (name: Lane, b: BudgetView, granted: number, now: BudgetNow) => html`<tr data-budget="${name}">
<td>${name}</td><td class="n">${b.perMinute === 'unlimited' ? 'unlimited' : count(b.perMinute)}</td>
<td class="n">${b.pacePerMinute === 'unlimited' ? 'unlimited' : rate(b.pacePerMinute)}</td>
<td class="n">${count(granted)}</td><td>${budgetState(now)}</td></tr>`;

function kinds(title: string, counts: Record<string, number>, empty: string): Html {
  const entries = Object.entries(counts).sort(([, a], [, b]) => b - a);
  return html`<h2>${title}</h2>${
    entries.length === 0
      ? html`<p class="muted">${empty}</p>`
      : html`<table><tbody>${entries.map(([k, n]) => html`<tr><td>${k}</td><td class="n">${count(n)}</td></tr>`)}</tbody></table>`
  }`;
}

/** The overview's live part: counts, funnel, throughput, budgets, errors. */
export async function overviewContent(ctx: ConsoleContext): Promise<Html> {
  const [stats, breakdown, outbox] = await Promise.all([
    ctx.readings.stats.get(),
    ctx.readings.breakdown.get(),
    ctx.readings.outbox.get(),
  ]);
  const now = ctx.now();
  const activity = ctx.handoff.activity();
  const steps = funnel(stats.states);
  const top = Math.max(1, steps[0]?.count ?? 0);
  const rateLimited = breakdown.errorKinds['rate-limited'] ?? 0;
  return html`<div class="grid">
<section class="card"><h2>Onboardings by state</h2>
<table id="counts"><tbody>
${TOP_LEVEL_STATES.map((s) => html`<tr data-state="${s}"><td>${s}</td><td class="n">${count(stats.states[s] ?? 0)}</td></tr>`)}
<tr data-state="total"><th>total</th><th class="n">${count(stats.total)}</th></tr>
</tbody></table></section>
<section class="card"><h2>Funnel</h2>
<table id="funnel"><tbody>
${steps.map(
  (s) => html`<tr data-stage="${s.stage}"><td>${s.stage}</td><td class="n">${count(s.count)}</td>
<td style="width:50%"><div class="bar" style="width:${((100 * s.count) / top).toFixed(1)}%"></div></td></tr>`,
)}
</tbody></table>
<p class="muted">An onboarding counts in every stage it has passed; a failed one only as submitted.</p></section>
<section class="card"><h2>Throughput</h2>${throughputChart(ctx.samples, now)}</section>
<section class="card wide"><h2>Budgets</h2>
<table id="budgets"><thead><tr><th>budget</th><th class="n">limit / min</th><th class="n">pace now / min</th><th class="n">granted by this process</th><th>now</th></tr></thead>
<tbody>${budget('write', stats.budgets.write, activity.writesGranted, activity.budgets.write)}${budget('read', stats.budgets.read, activity.readsGranted, activity.budgets.read)}</tbody></table>
<table><tbody>
<tr><td>under review</td><td class="n">${count(stats.underReview)}</td></tr>
<tr><td>poll interval (what the read budget allows)</td><td class="n">${stats.pollIntervalMs === null ? 'no read limit' : duration(stats.pollIntervalMs)}</td></tr>
<tr><td>ETA${stats.bindingBudget === null ? '' : ` (${stats.bindingBudget} budget binds)`}</td><td class="n" id="eta">${stats.etaMs === null ? 'no limit' : duration(stats.etaMs)}</td></tr>
<tr><td>calls in flight / onboardings driven</td><td class="n">${count(activity.callsInFlight)} / ${count(activity.driving)}</td></tr>
<tr><td>commits / quarantined by this process</td><td class="n">${count(activity.commits)} / ${count(activity.quarantined)}</td></tr>
</tbody></table></section>
<section class="card"><h2>Rate limiting</h2>
<p><strong id="rate-limited">${count(rateLimited)}</strong> onboarding${rateLimited === 1 ? '' : 's'} whose last error is a 429 (rate-limited).</p>
${kinds('Errors by kind (last error of each onboarding)', breakdown.errorKinds, 'No onboarding has an error.')}
${kinds('Waiting for data, by what Crossmint asked for', breakdown.requestedItems, 'No onboarding waits for data.')}
</section>
<section class="card"><h2>Webhook deliveries</h2>
<table><tbody><tr><td>pending</td><td class="n">${count(outbox.pending)}</td></tr>
<tr><td>failed</td><td class="n">${count(outbox.failed)}</td></tr>
<tr><td>delivered</td><td class="n">${count(outbox.delivered)}</td></tr></tbody></table></section>
</div>`;
}
