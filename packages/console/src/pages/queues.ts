import type { OnboardingListing } from '@kyc-handoff/engine';
import type { ConsoleContext } from '../context.js';
import { ago, count } from '../format.js';
import { type Html, html } from '../html.js';
import { retryButton, userLink } from './links.js';

/** Rows shown per queue: the first page, in user id order; the counts say how many there are. */
export const QUEUE_PAGE = 50;

async function firstPage(
  ctx: ConsoleContext,
  state: 'requiresData' | 'failed',
): Promise<OnboardingListing[]> {
  const rows: OnboardingListing[] = [];
  for await (const listing of ctx.handoff.list({ states: [state], pageSize: QUEUE_PAGE })) {
    rows.push(listing);
    if (rows.length >= QUEUE_PAGE) break;
  }
  return rows;
}

const missing = (l: OnboardingListing) =>
  l.requested === null
    ? '-'
    : [
        ...l.requested.missingData.map((d) => `data ${d}`),
        ...l.requested.missingDocuments.map((d) => `document ${d}`),
      ].join(', ') || '-';

const shown = (rows: number, total: number) =>
  rows < total ? html`<p class="muted">The first ${count(rows)} of ${count(total)}, by user id.</p>` : '';

/** The queues' live part: users waiting for data, failed users, webhook deliveries. */
export async function queuesContent(ctx: ConsoleContext): Promise<Html> {
  const [waiting, failed, { states: counts }, outbox] = await Promise.all([
    firstPage(ctx, 'requiresData'),
    firstPage(ctx, 'failed'),
    ctx.readings.stats.get(),
    ctx.readings.outbox.get(),
  ]);
  const now = ctx.now();
  return html`<h2>Waiting for data (${count(counts.requiresData ?? 0)})</h2>
${
  waiting.length === 0
    ? html`<p class="muted">No onboarding waits for data.</p>`
    : html`<table id="waiting"><thead><tr><th>user</th><th>missing</th><th>since</th></tr></thead><tbody>
${waiting.map((l) => html`<tr data-user="${l.userId}"><td>${userLink(l.userId)}</td><td>${missing(l)}</td><td>${ago(l.updatedAt, now)}</td></tr>`)}
</tbody></table>${shown(waiting.length, counts.requiresData ?? 0)}`
}
<h2>Failed (${count(counts.failed ?? 0)})</h2>
${
  failed.length === 0
    ? html`<p class="muted">No onboarding failed.</p>`
    : html`<table id="failed"><thead><tr><th>user</th><th>reason</th><th>last error kind</th><th class="n">attempts</th><th>since</th>${ctx.readOnly ? '' : html`<th></th>`}</tr></thead><tbody>
${failed.map(
  (
    l,
  ) => html`<tr data-user="${l.userId}"><td>${userLink(l.userId)}</td><td>${l.failureReason ?? '-'}</td><td>${l.errorKind ?? '-'}</td>
<td class="n">${count(l.attempts)}</td><td>${ago(l.updatedAt, now)}</td>${ctx.readOnly ? '' : html`<td>${retryButton(l.userId)}</td>`}</tr>`,
)}
</tbody></table>${shown(failed.length, counts.failed ?? 0)}`
}
<h2>Webhook deliveries</h2>
<table id="outbox"><tbody>
<tr><td>pending</td><td class="n">${count(outbox.pending)}</td></tr>
<tr><td>failed (given up after three days)</td><td class="n">${count(outbox.failed)}</td></tr>
<tr><td>delivered</td><td class="n">${count(outbox.delivered)}</td></tr>
<tr><td>oldest pending</td><td>${ago(outbox.oldestPendingAt, now)}</td></tr>
</tbody></table>`;
}

/** Every failed user, whatever the kind of their last error. */
export const ANY_KIND = '*';
/** Failed users that have no last error (a deadline passed, a row was quarantined). */
export const NO_KIND = '-';

/** The form that retries every failed user of one kind; outside the live part, so a refresh never resets it. */
export async function retryAllForm(ctx: ConsoleContext): Promise<Html> {
  if (ctx.readOnly) return html``;
  const { errorKinds } = await ctx.readings.breakdown.get();
  const kinds = Object.keys(errorKinds).sort();
  return html`<form id="retry-all" hx-post="/queues/failed/retry" hx-target="#flash" hx-swap="innerHTML"
hx-confirm="Retry every failed user whose last error is of this kind?">
<label>Retry all failed users whose last error kind is
<select name="kind"><option value="${ANY_KIND}">any kind</option>
${kinds.map((k) => html`<option value="${k}">${k}</option>`)}<option value="${NO_KIND}">no error (deadline, quarantine)</option></select></label>
<button>Retry all matching</button></form>`;
}
