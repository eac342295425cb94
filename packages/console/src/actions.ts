import type { ManualResult } from '@kyc-handoff/engine';
import type { ConsoleContext } from './context.js';
import { count } from './format.js';
import { type Html, html } from './html.js';
import { ANY_KIND, NO_KIND } from './pages/queues.js';

export interface ActionAnswer {
  status: 200 | 404 | 409;
  body: Html;
}

/** Retry of one failed user: what became of it, as the message the operator sees. */
export async function retryOne(ctx: ConsoleContext, userId: string): Promise<ActionAnswer> {
  const result = await ctx.handoff.retry(userId);
  ctx.readings.invalidate();
  if (result.ok) {
    return {
      status: 200,
      body: html`<span class="ok">Retried user <code>${userId}</code>: now ${result.state}.</span>`,
    };
  }
  return { status: 409, body: html`<span class="bad">Not retried: ${result.reason}.</span>` };
}

const matches = (kind: string, errorKind: string | null) =>
  kind === ANY_KIND || (kind === NO_KIND ? errorKind === null : errorKind === kind);

/**
 * Retry of every failed user whose last error is of `kind` (ANY_KIND: all; NO_KIND: those without
 * one). The ids are collected first: retrying moves users out of `failed` while the list is read.
 */
export async function retryMatching(ctx: ConsoleContext, kind: string): Promise<ActionAnswer> {
  const ids: string[] = [];
  for await (const listing of ctx.handoff.list({ states: ['failed'] })) {
    if (matches(kind, listing.errorKind)) ids.push(listing.userId);
  }
  const described = kind === ANY_KIND ? 'any kind' : kind === NO_KIND ? 'no error' : kind;
  if (ids.length === 0) {
    return {
      status: 200,
      body: html`<span class="muted">No failed user has a last error of ${described}.</span>`,
    };
  }
  let retried = 0;
  const refused: ManualResult[] = [];
  for (const id of ids) {
    const result = await ctx.handoff.retry(id);
    if (result.ok) retried++;
    else refused.push(result);
  }
  ctx.readings.invalidate();
  const first = refused[0];
  return {
    status: 200,
    body: html`<span class="${refused.length === 0 ? 'ok' : 'bad'}">Retried ${count(retried)} of ${count(ids.length)} failed users with a last error of ${described}.${
      first !== undefined && !first.ok ? ` ${count(refused.length)} not retried, e.g.: ${first.reason}.` : ''
    }</span>`,
  };
}
