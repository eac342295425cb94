import type { SourceItem } from './input/source.js';
import { type IntakeResult, submitAll } from './intake.js';
import { startProgress } from './progress.js';
import type { Reporter } from './report.js';
import type { Session } from './session.js';
import { formatSummary, type ImportSummary, importSummary, tally } from './summary.js';

export interface PipelineOptions {
  session: Session;
  source: AsyncIterable<SourceItem>;
  reporter: Reporter;
  update: boolean;
  until: 'idle' | 'triggered';
  storeLabel: string;
  /** Called once everything is submitted, before the machines run (the demo starts its helpers here). */
  onSubmitted?: () => void;
}

export interface PipelineResult {
  summary: ImportSummary;
  text: string;
  interrupted: boolean;
}

/** Reads and submits every record (refusals reported), then runs the machines with live progress. */
export async function importAndRun(options: PipelineOptions): Promise<PipelineResult> {
  const started = Date.now();
  const { handoff } = options.session;
  const tty = process.stderr.isTTY === true;
  let lastNote = Date.now();
  let intake: IntakeResult;
  try {
    intake = await submitAll(handoff, options.source, options.reporter, {
      update: options.update,
      onBatch: (c) => {
        if (!tty && Date.now() - lastNote >= 5_000) {
          lastNote = Date.now();
          process.stderr.write(`reading: ${c.records} records so far (${c.refused} refused)\n`);
        }
      },
    });
  } finally {
    await options.reporter.close();
  }
  const { counts } = intake;
  process.stderr.write(
    `read ${counts.records} records: ${counts.created} new, ${counts.unchanged} already known, ${counts.updated} updated, ${counts.refused} refused\n`,
  );
  if (intake.stopped) throw intake.stopped;
  options.onSubmitted?.();
  const progress = startProgress(handoff, { until: options.until });
  let interrupted = false;
  try {
    ({ interrupted } = await options.session.run(options.until));
  } finally {
    await progress.stop();
  }
  const stats = await handoff.stats();
  const stateCounts = stats.states;
  const summary = importSummary(stateCounts, counts, Date.now() - started, {
    quarantined: handoff.activity().quarantined,
    pollIntervalMs: stats.pollIntervalMs,
  });
  const text = formatSummary(summary, { store: options.storeLabel, storeTotal: tally(stateCounts).total });
  return { summary, text, interrupted };
}
