import { html } from '../html.js';

export const userPath = (userId: string) => `/users/${encodeURIComponent(userId)}`;
export const userLink = (userId: string) => html`<a href="${userPath(userId)}">${userId}</a>`;

/** Retry of one failed user; the answer (done or why not) goes to the page's message area. */
export const retryButton = (userId: string) =>
  html`<button hx-post="${userPath(userId)}/retry" hx-target="#flash" hx-swap="innerHTML" data-retry="${userId}">Retry</button>`;
