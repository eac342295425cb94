import { count, duration, rate } from '../format.js';
import { type Html, html, raw } from '../html.js';
import type { Sample, ThroughputSamples } from '../samples.js';

const W = 320;
const H = 130;
const PAD = { left: 40, right: 6, top: 6, bottom: 18 };

function polyline(
  samples: readonly Sample[],
  pick: (s: Sample) => number,
  scale: Scale,
  color: string,
): string {
  const points = samples.map((s) => `${scale.x(s.at).toFixed(1)},${scale.y(pick(s)).toFixed(1)}`).join(' ');
  return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`;
}

interface Scale {
  x(at: number): number;
  y(value: number): number;
}

/**
 * A small inline SVG of finished and verified onboardings over the samples held: no library, no
 * script; numbers only, so nothing in it needs escaping.
 */
export function throughputChart(samples: ThroughputSamples, now: number): Html {
  const held = samples.samples();
  const first = held[0];
  const last = held.at(-1);
  if (first === undefined || last === undefined || held.length < 2) {
    return html`<p class="muted" id="throughput">Collecting samples: one is taken at each refresh while a page is open.</p>`;
  }
  const low = Math.min(...held.map((s) => s.verified));
  const high = Math.max(low + 1, ...held.map((s) => s.finished));
  const span = Math.max(1, last.at - first.at);
  const scale: Scale = {
    x: (at) => PAD.left + ((at - first.at) / span) * (W - PAD.left - PAD.right),
    y: (v) => H - PAD.bottom - ((v - low) / (high - low)) * (H - PAD.top - PAD.bottom),
  };
  const perMinute = samples.verifiedPerMinute();
  const svg = [
    `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="finished and verified onboardings over time">`,
    `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#d1d5db"/>`,
    `<text x="${PAD.left - 4}" y="${PAD.top + 10}" text-anchor="end" font-size="10" fill="#6b7280">${count(high)}</text>`,
    `<text x="${PAD.left - 4}" y="${H - PAD.bottom}" text-anchor="end" font-size="10" fill="#6b7280">${count(low)}</text>`,
    `<text x="${PAD.left}" y="${H - 4}" font-size="10" fill="#6b7280">${duration(now - first.at)} ago</text>`,
    `<text x="${W - PAD.right}" y="${H - 4}" text-anchor="end" font-size="10" fill="#6b7280">now</text>`,
    polyline(held, (s) => s.finished, scale, '#9ca3af'),
    polyline(held, (s) => s.verified, scale, '#1d4ed8'),
    '</svg>',
  ].join('');
  return html`<div id="throughput">${raw(svg)}
<p><span style="color:#1d4ed8">■</span> verified <span style="color:#9ca3af">■</span> finished (verified, rejected or failed) ·
<strong>${perMinute === null ? '-' : rate(perMinute)}</strong> verified a minute over the last ${duration(span)}</p></div>`;
}
