import type { Handoff } from '@kyc-handoff/engine';
import cliProgress from 'cli-progress';
import { PRE_TRIGGER_STATES, tally } from './summary.js';

export interface ProgressOptions {
  /** `idle`: done = verified/rejected/requiresData/failed; `triggered`: done = verification triggered. */
  until: 'idle' | 'triggered' | 'stopped';
  /** Plain lines when stderr is not a terminal, this often (default 5 s). */
  plainEveryMs?: number;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)}h`;
  return `${(s / 86_400).toFixed(1)}d`;
}

/**
 * Live progress on stderr (stdout stays clean for --json): a cli-progress bar with counts by state,
 * rate and ETA on a terminal; a plain line every few seconds otherwise, without control characters.
 */
export function startProgress(handoff: Handoff, options: ProgressOptions): { stop(): Promise<void> } {
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let firstDone: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let bar: cliProgress.SingleBar | undefined;

  const sample = async () => {
    const stats = await handoff.stats();
    const t = tally(stats.states);
    const done =
      options.until === 'triggered'
        ? t.total - PRE_TRIGGER_STATES.reduce((sum, s) => sum + (stats.states[s] ?? 0), 0)
        : t.total - t.pending;
    firstDone ??= done;
    const elapsed = (Date.now() - started) / 1000;
    const rate = elapsed > 0 ? (done - firstDone) / elapsed : 0;
    const remaining = t.total - done;
    // The budgets bound a real import: the engine's ETA comes from whichever binds (writes still to
    // make, or polls still to make); the observed rate can only say it is slower than that.
    const budgetEta = stats.etaMs === null ? 0 : stats.etaMs / 1000;
    const eta =
      remaining === 0
        ? 0
        : stats.etaMs !== null || rate > 0
          ? Math.max(budgetEta, rate > 0 ? remaining / rate : 0)
          : Number.POSITIVE_INFINITY;
    const polls =
      stats.pollIntervalMs !== null && stats.underReview > 0
        ? `polls every ${formatDuration(stats.pollIntervalMs / 1000)} (${stats.underReview} in review)`
        : '';
    const binding = stats.bindingBudget === null ? '' : ` (${stats.bindingBudget}s bind)`;
    return { t, done, rate, eta, polls, binding };
  };

  if (tty) {
    bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format:
          '{bar} {value}/{total} | verified {verified} rejected {rejected} data {requiresData} failed {failed} pending {pending} | {rate} users/s | ETA {eta_text}{binding} {polls}',
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(0, 0, {
      verified: 0,
      rejected: 0,
      requiresData: 0,
      failed: 0,
      pending: 0,
      rate: '0.0',
      eta_text: '?',
      binding: '',
      polls: '',
    });
  }

  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const { t, done, rate, eta, polls, binding } = await sample();
      if (bar) {
        bar.setTotal(t.total);
        bar.update(done, { ...t, rate: rate.toFixed(1), eta_text: formatDuration(eta), binding, polls });
      } else {
        process.stderr.write(
          `progress: ${done}/${t.total} ${options.until === 'triggered' ? 'triggered' : 'done'} (verified ${t.verified}, rejected ${t.rejected}, requires data ${t.requiresData}, failed ${t.failed}, pending ${t.pending}), ${rate.toFixed(1)} users/s, ETA ${formatDuration(eta)}${binding}${polls === '' ? '' : `, ${polls}`}\n`,
        );
      }
    } catch {
      // A progress sample is best effort: the store may be closing.
    } finally {
      busy = false;
    }
  };
  timer = setInterval(() => void tick(), tty ? 250 : (options.plainEveryMs ?? 5_000));
  timer.unref();
  if (tty) void tick();
  // The rate counts from now: without this baseline a plain first line, written after 5 s, showed
  // 0.0 users/s however many had finished by then.
  else void sample().catch(() => {});

  return {
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (bar) {
        await tick().catch(() => {});
        bar.stop();
      }
    },
  };
}
