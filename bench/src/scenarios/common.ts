import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '@kyc-handoff/core/crypto';
import type { EngineChildConfig } from '../children/engine.js';
import { type ChildReport, startChild } from '../lib/proc.js';

export interface ScenarioContext {
  /** Small sizes. */
  quick: boolean;
  users?: number | undefined;
  lines?: number | undefined;
  minutes?: number | undefined;
  kills?: number | undefined;
  seed?: number | undefined;
  log?: (line: string) => void;
}

export function tempDir(label: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `kyc-bench-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const ENCRYPTION_KEY = generateKey();

/** Runs one engine child to the end and returns its report. */
export async function runEngine(config: EngineChildConfig, timeoutMs: number): Promise<ChildReport> {
  const child = startChild('engine', config, {
    timeoutMs,
    env: { KYC_HANDOFF_ENCRYPTION_KEY: ENCRYPTION_KEY },
  });
  await child.ready;
  return child.report;
}

/** Starts several children, waits until each is ready, releases them together, collects reports. */
export async function runTogether(
  children: { name: string; config: unknown; env?: NodeJS.ProcessEnv; benchDir?: string }[],
  timeoutMs: number,
): Promise<{ reports: ChildReport[]; wallMs: number }> {
  const started = children.map((c) =>
    startChild(
      c.name,
      { ...(c.config as object), waitForGo: true },
      {
        timeoutMs,
        env: { ...c.env, KYC_HANDOFF_ENCRYPTION_KEY: ENCRYPTION_KEY },
        ...(c.benchDir !== undefined && { benchDir: c.benchDir }),
      },
    ),
  );
  try {
    await Promise.all(started.map((c) => c.ready));
  } catch (error) {
    for (const c of started) c.kill();
    throw error;
  }
  for (const c of started) c.go();
  const reports = await Promise.all(started.map((c) => c.report));
  const wallMs = Math.max(...reports.map((r) => r.endedAt)) - Math.min(...reports.map((r) => r.startedAt));
  return { reports, wallMs };
}
