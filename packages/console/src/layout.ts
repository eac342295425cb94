import { type Html, html } from './html.js';

/** Who is looking, as far as the page is concerned. */
export interface Viewer {
  /** The token, when this browser proved it knows it (the cookie set from `?token=`): actions send it. */
  token: string | undefined;
  readOnly: boolean;
  /** Set when the address carried a token that is not this console's. */
  staleToken: boolean;
}

// Swap every answer into its target, refusals included: a 403 or 409 is a message for the operator,
// not a failure of the page. 204 leaves the page as it is.
const HTMX_CONFIG = JSON.stringify({
  responseHandling: [
    { code: '204', swap: false },
    { code: '...', swap: true },
  ],
});

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans","DejaVu Sans",sans-serif;color:#111827;background:#f9fafb}
header{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1.2rem;background:#111827;color:#f9fafb;flex-wrap:wrap}
header a{color:#d1d5db;text-decoration:none}header a[aria-current=page]{color:#fff;font-weight:600}
header form{margin-left:auto;display:flex;gap:.3rem}
main{padding:1rem 1.2rem;max-width:1400px}
h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.2rem 0 .5rem}
table{border-collapse:collapse;background:#fff;margin-bottom:.8rem}
th,td{border:1px solid #e5e7eb;padding:.25rem .6rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1rem}
.card.wide{grid-column:span 2}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:.6rem .9rem}
.bar{background:#dbeafe;height:1.1rem;border-radius:3px}
.muted{color:#6b7280}.ok{color:#047857}.bad{color:#b91c1c}
.banner{padding:.4rem 1.2rem;background:#fef3c7;border-bottom:1px solid #fcd34d}
#flash:empty{display:none}#flash{margin-bottom:.8rem;padding:.4rem .8rem;background:#fff;border:1px solid #d1d5db;border-radius:6px}
button{cursor:pointer}code{font-size:.95em}
`;

const NAV = [
  ['/', 'Overview'],
  ['/machine', 'Machine'],
  ['/queues', 'Queues'],
] as const;

function banner(viewer: Viewer): Html {
  if (viewer.readOnly)
    return html`<div class="banner">Read-only console: actions are hidden and refused.</div>`;
  if (viewer.staleToken) {
    return html`<div class="banner">The token in the address is not this console's (a new one is printed at each start): actions will be refused. Open the address the console printed.</div>`;
  }
  if (viewer.token === undefined) {
    return html`<div class="banner">Viewing only: actions need the token. Open the address with <code>?token=…</code> that the console printed at start.</div>`;
  }
  return html``;
}

/** A whole page: navigation, the user search, a place for action results, and `body`. */
export function page(title: string, path: string, viewer: Viewer, body: Html): Html {
  // htmx sends the token with every request from this page once the browser proved it knows it;
  // a cross-site page can neither read it nor set this header on a request it forges.
  const headers =
    viewer.token !== undefined && !viewer.readOnly
      ? JSON.stringify({ 'X-Console-Token': viewer.token })
      : null;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${title} · kyc-handoff console</title>
<style>${CSS}</style>
<script src="/assets/htmx.min.js"></script>
</head>
<body${headers === null ? '' : html` hx-headers="${headers}"`}>
<header>
<strong>kyc-handoff</strong>
<nav>${NAV.map(([href, label]) => html`<a href="${href}"${path === href ? html` aria-current="page"` : ''}>${label}</a> `)}</nav>
<form action="/users" method="get" role="search"><input name="id" placeholder="user id" aria-label="user id" required><button>Find user</button></form>
</header>
${banner(viewer)}
<main>
<h1>${title}</h1>
<div id="flash" role="status" aria-live="polite"></div>
${body}
</main>
</body>
</html>
`;
}

/** A region that re-fetches itself from `url` every two seconds (htmx), initially `content`. */
export function live(id: string, url: string, content: Html): Html {
  return html`<div id="${id}" hx-get="${url}" hx-trigger="every 2s" hx-swap="innerHTML">${content}</div>`;
}
