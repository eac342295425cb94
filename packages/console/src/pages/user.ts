import type { OnboardingStatus } from '@kyc-handoff/engine';
import type { ConsoleContext } from '../context.js';
import { ago, count, duration, iso } from '../format.js';
import { type Html, html } from '../html.js';
import { retryButton } from './links.js';

/** The most journal entries a user page shows (the latest). */
export const JOURNAL_LIMIT = 200;

function facts(s: OnboardingStatus, now: number): [string, Html | string][] {
  const requested =
    s.requested === null
      ? '-'
      : [
          ...s.requested.missingData.map((d) => `data ${d}`),
          ...s.requested.missingDocuments.map((d) => `document ${d}`),
        ].join(', ') || '-';
  return [
    ['user', s.userId],
    ['state', html`<strong id="state">${s.statePath}</strong>`],
    ['outcome', s.outcome ?? '-'],
    [
      'eligibility',
      s.eligibility === null || s.eligibility.length === 0
        ? '-'
        : s.eligibility.map((e) => `${e.type}=${e.status}`).join(', '),
    ],
    ['requested', requested],
    ['attempts', count(s.attempts)],
    ['last error', s.lastError ?? '-'],
    [
      'failure',
      s.failure === null
        ? '-'
        : `${s.failure.reason}${s.failure.step === null ? '' : ` in ${s.failure.step}`}: ${s.failure.message}`,
    ],
    ['next step at', s.wakeAt === null ? '-' : iso(s.wakeAt)],
    ...(s.pollIntervalMs === null ? [] : [['poll interval', duration(s.pollIntervalMs)] as [string, string]]),
    ['created', ago(s.createdAt, now)],
    ['updated', ago(s.updatedAt, now)],
  ];
}

/** One user's live part: state, eligibility, attempts, the journal; undefined for an unknown user. */
export async function userContent(ctx: ConsoleContext, userId: string): Promise<Html | undefined> {
  // The engine's status view: rows and journal only, never the record.
  const status = await ctx.handoff.status(userId, { journalLimit: JOURNAL_LIMIT });
  if (status === undefined) return undefined;
  const now = ctx.now();
  return html`<table id="status"><tbody>
${facts(status, now).map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}
</tbody></table>
${status.state === 'failed' && !ctx.readOnly ? html`<p>${retryButton(status.userId)}</p>` : ''}
<h2>Journal (${count(status.journal.length)} latest)</h2>
<table id="journal"><thead><tr><th>at</th><th>from</th><th>event</th><th>to</th><th>detail</th></tr></thead><tbody>
${status.journal.map(
  (j) =>
    html`<tr><td>${iso(j.at)}</td><td>${j.from}</td><td>${j.event}</td><td>${j.to}</td><td>${j.detail ?? ''}</td></tr>`,
)}
</tbody></table>`;
}

export const unknownUser = (userId: string) =>
  html`<p class="bad" id="unknown">No onboarding for user <code>${userId}</code> in this store.</p>`;
