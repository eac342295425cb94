import { readFileSync } from 'node:fs';
import { createMemoryStore } from '@kyc-handoff/core/testing';
import { createCrossmintClient } from '@kyc-handoff/crossmint-http';
import { createHandoff } from '@kyc-handoff/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../src/index.js';
import { Scrape } from './__test-utils__/prometheus.js';
import { API_KEY } from './__test-utils__/world.js';

const docs = (name: string) => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

interface Panel {
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}

let scrape: Scrape;
let metrics: Metrics;
let crossmint: ReturnType<typeof createCrossmintClient>;
beforeAll(async () => {
  crossmint = createCrossmintClient({ baseUrl: 'http://127.0.0.1:9/api' }, { apiKey: API_KEY });
  metrics = createMetrics();
  metrics.attach({ handoff: createHandoff({ crossmint, store: createMemoryStore() }) });
  scrape = new Scrape(await metrics.render());
});
afterAll(async () => {
  metrics.close();
  await crossmint.close();
});

/** The metric a query names: a histogram's series carry `_bucket`, `_sum` and `_count` suffixes. */
function familyOf(series: string): string {
  if (scrape.families.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return scrape.families.get(base)?.type === 'HISTOGRAM' ? base : series;
}

describe('docs/grafana-dashboard.json', () => {
  const dashboard = JSON.parse(docs('grafana-dashboard.json')) as {
    schemaVersion: number;
    uid: string;
    panels: Panel[];
    templating: { list: { name: string; type: string; query: unknown }[] };
  };

  it('is an importable dashboard over a Prometheus data source variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.uid).toBe('kyc-handoff');
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', query: 'prometheus' }),
    );
    for (const panel of dashboard.panels) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });

  it('every metric its panels query is in a scrape', () => {
    const queried = new Set(
      dashboard.panels.flatMap((p) =>
        (p.targets ?? []).flatMap((t) => t.expr.match(/kyc_handoff_\w+/g) ?? []),
      ),
    );
    expect(queried.size).toBeGreaterThan(10);
    for (const series of queried) expect(scrape.families.has(familyOf(series)), series).toBe(true);
  });

  it('has the panels an operator looks for', () => {
    const titles = dashboard.panels.map((p) => p.title);
    for (const title of [
      'Onboardings by state',
      'Transitions',
      'Crossmint requests by route and status',
      'Crossmint latency p95',
      '429s (rate limited)',
      'Budget use',
      'Poll interval',
      'ETA',
      'Outbox backlog',
    ]) {
      expect(titles).toContain(title);
    }
  });
});

describe('docs/metrics.md', () => {
  it('lists every metric a scrape serves, with its type', () => {
    const table = docs('metrics.md');
    for (const family of scrape.families.values()) {
      // prom-client's own process and Node.js metrics are named in one line, not one row each.
      if (!family.name.startsWith('kyc_handoff_')) continue;
      expect(table, family.name).toContain(`| \`${family.name}\` | ${family.type.toLowerCase()} |`);
    }
    expect(table).toContain('process_resident_memory_bytes');
  });
});
