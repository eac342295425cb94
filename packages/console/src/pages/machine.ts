import type { ConsoleContext } from '../context.js';
import { annotate, machineSvg } from '../diagram.js';
import { count } from '../format.js';
import { type Html, html, raw } from '../html.js';

/** The machine's live part: the diagram with counts, and transitions it has no edge for. */
export async function machineContent(ctx: ConsoleContext): Promise<Html> {
  const [svg, { states }, transitions] = await Promise.all([
    machineSvg(),
    ctx.readings.stats.get(),
    ctx.readings.transitions.get(),
  ]);
  const diagram = annotate(svg, { states, transitions });
  return html`<div id="diagram">${raw(diagram.svg)}</div>
${
  diagram.unmatched.length === 0
    ? ''
    : html`<h2>Transitions not on the chart</h2>
<table id="unmatched"><thead><tr><th>from</th><th>event</th><th>to</th><th class="n">count</th></tr></thead><tbody>
${diagram.unmatched.map((t) => html`<tr><td>${t.from}</td><td>${t.event}</td><td>${t.to}</td><td class="n">${count(t.count)}</td></tr>`)}
</tbody></table>`
}`;
}

export const MACHINE_LEGEND = html`<p class="muted">Blue numbers in states: onboardings there now (a
compound state's count is on its frame). Numbers on arrows: transitions committed so far, from the
journal; arrows that carried any are blue, the arrow from the start counts submissions. The two
<code>STEP_FAILED</code> self-loops of a state (throttled, retryable) show one shared count: the
journal records the event, not which guard held.</p>`;
