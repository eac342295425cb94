import { type StateCounts, type TopLevelState, type TransitionCount, toDot } from '@kyc-handoff/core';
import { count as formatCount } from './format.js';

/**
 * The text Graphviz lays out where a count will go. Rendering the WASM Graphviz on every refresh
 * would cost CPU and make the chart jump as numbers change width, so the machine is laid out once
 * with a line of this width reserved under every state and transition label; each refresh swaps
 * the numbers into those lines.
 */
const SLOT = '0000000';
const LINE = `\\n${SLOT}`;

/** What the `start` edge counts: every onboarding ever submitted is one arrival. */
const SUBMITTED = 'submitted';

/** core's toDot, with a count line under each top-level state, cluster and edge label. */
export function dotWithCountSlots(dot: string): string {
  return dot
    .split('\n')
    .map((line) => {
      const edge = /^(\s*)(\w+) -> (\w+) \[label="([^"]*)"(.*)$/.exec(line);
      if (edge) return `${edge[1]}${edge[2]} -> ${edge[3]} [label="${edge[4]}${LINE}"${edge[5]}`;
      const start = /^(\s*)start -> (\w+);$/.exec(line);
      if (start) return `${start[1]}start -> ${start[2]} [label="${SUBMITTED}${LINE}"];`;
      const cluster = /^(\s*)label="([^"]*)";$/.exec(line);
      if (cluster) return `${cluster[1]}label="${cluster[2]}${LINE}";`;
      // A node without `_` in its id is a top-level state with no children (nested ones are
      // `parent_child` and their count is on their cluster).
      const node = /^(\s*)([A-Za-z][A-Za-z0-9]*) \[label="([^"]*)"(.*)$/.exec(line);
      if (node) return `${node[1]}${node[2]} [label="${node[3]}${LINE}"${node[4]}`;
      return line;
    })
    .join('\n');
}

let laidOut: Promise<string> | undefined;

/** The machine's SVG with count slots, laid out once per process (Graphviz compiled to WASM). */
export function machineSvg(): Promise<string> {
  if (laidOut === undefined) {
    laidOut = (async () => {
      const viz = await (await import('@viz-js/viz')).instance();
      const svg = viz.renderString(dotWithCountSlots(toDot()), { format: 'svg' });
      // Inline in the page: no XML prolog or comments, and it scales to the page's width.
      return svg
        .slice(svg.indexOf('<svg'))
        .replace(/<!--[\s\S]*?-->\n?/g, '')
        .replace(
          /<svg width="[^"]*" height="[^"]*"/,
          '<svg width="100%" role="img" aria-label="the onboarding machine"',
        );
    })();
    laidOut.catch(() => {
      laidOut = undefined;
    });
  }
  return laidOut;
}

const decode = (text: string) =>
  text
    .replace(/&#45;/g, '-')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

/** Node ids are state paths joined by `_` (core's diagram); the journal joins them with `.`. */
const idOfPath = (path: string) => path.replace(/\./g, '_');

const ACTIVE = '#1d4ed8';
const ACTIVE_FILL = '#eff6ff';

function fillSlot(body: string, n: number): string {
  return body.replace(
    new RegExp(`(<text[^>]*)>${SLOT}</text>`),
    `$1 class="count" font-weight="bold" fill="${n > 0 ? ACTIVE : '#6b7280'}">${formatCount(n)}</text>`,
  );
}

export interface DiagramCounts {
  states: StateCounts;
  transitions: readonly TransitionCount[];
}

export interface AnnotatedDiagram {
  svg: string;
  /** Committed transitions that are no edge of the chart (a quarantine, a retry of an unreadable row). */
  unmatched: TransitionCount[];
  /** Edges that share one count: the journal records the event, not which guard held. */
  sharedEdges: number;
}

/**
 * The laid-out SVG with the number of onboardings in each top-level state (on its cluster or
 * node) and the number of committed journal entries on each edge; edges that carried any are drawn
 * in blue. Every group gets data-* attributes naming what it counts.
 */
export function annotate(svg: string, counts: DiagramCounts): AnnotatedDiagram {
  const total = Object.values(counts.states).reduce((a, b) => a + (b ?? 0), 0);
  const byEdge = new Map<string, number>();
  for (const t of counts.transitions) {
    const key = `${idOfPath(t.from)}->${idOfPath(t.to)}|${t.event}`;
    byEdge.set(key, (byEdge.get(key) ?? 0) + t.count);
  }
  const matched = new Set<string>();
  const edgesPerKey = new Map<string, number>();
  const stateCount = (state: string) => counts.states[state as TopLevelState] ?? 0;

  const out = svg.replace(
    /<g id="([^"]+)" class="(node|cluster|edge)">\n<title>([^<]*)<\/title>([\s\S]*?)<\/g>/g,
    (group, id: string, kind: string, rawTitle: string, body: string) => {
      const title = decode(rawTitle);
      if (kind === 'cluster' || kind === 'node') {
        if (!body.includes(`>${SLOT}<`)) return group;
        const state = kind === 'cluster' ? title.replace(/^cluster_/, '') : title;
        const n = stateCount(state);
        let filled = fillSlot(body, n);
        if (n > 0) filled = filled.replace(/fill="none"/, `fill="${ACTIVE_FILL}"`);
        return `<g id="${id}" class="${kind}" data-state="${state}" data-count="${n}">\n<title>${rawTitle}</title>${filled}</g>`;
      }
      const [from = '', to = ''] = title.split('->');
      const label = /<text[^>]*>([^<]*)<\/text>/.exec(body)?.[1] ?? '';
      const event = decode(label).split(' ')[0] ?? '';
      let n: number;
      if (from === 'start') n = total;
      else {
        const key = `${from}->${to}|${event}`;
        n = byEdge.get(key) ?? 0;
        matched.add(key);
        edgesPerKey.set(key, (edgesPerKey.get(key) ?? 0) + 1);
      }
      let filled = fillSlot(body, n);
      if (n > 0) filled = filled.replace(/"black"/g, `"${ACTIVE}"`);
      const attrs = `data-from="${from}" data-event="${from === 'start' ? SUBMITTED : event}" data-to="${to}" data-count="${n}"`;
      return `<g id="${id}" class="edge" ${attrs}>\n<title>${rawTitle}</title>${filled}</g>`;
    },
  );
  const unmatched = counts.transitions.filter(
    (t) => !matched.has(`${idOfPath(t.from)}->${idOfPath(t.to)}|${t.event}`),
  );
  const sharedEdges = [...edgesPerKey.values()].filter((n) => n > 1).reduce((a, b) => a + b, 0);
  return { svg: out, unmatched, sharedEdges };
}
