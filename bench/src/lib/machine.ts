import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const REPO_DIR = join(BENCH_DIR, '..');
export const RESULTS_FILE = join(BENCH_DIR, 'results/results.jsonl');

/** What the figures were measured on: they mean little without it. */
export function machine() {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.versions.node,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Appends one scenario's figures, with the machine and the date, to bench/results/results.jsonl. */
export function appendResult(scenario: string, figures: unknown, file = RESULTS_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(
    file,
    `${JSON.stringify({ at: new Date().toISOString(), scenario, machine: machine(), ...(figures as object) })}\n`,
  );
}

/** A small seeded generator (mulberry32), so kill moments and samples repeat from run to run. */
export function seeded(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const round = (x: number, digits = 0) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Prints rows as an aligned text table. */
export function printTable(title: string, objects: readonly object[]): void {
  const rows = objects as readonly Record<string, unknown>[];
  console.log(`\n${title}`);
  if (rows.length === 0) return;
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ');
  console.log(line(keys));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(keys.map((k) => cell(r[k]))));
}
