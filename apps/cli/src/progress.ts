import type { Handoff } from '@kyc-handoff/engine';
import cliProgress from 'cli-progress';
import { PRE_TRIGGER_STATES, type Tally, tally } from './summary.js';

/** Writes per user: privacy policy, upsert, trigger (document uploads come on top). */
const WRITES_PER_USER = 3;

export interface ProgressOptions {
  /** `idle`: done = verified/rejected/requiresData/failed; `triggered`: done = verification triggered. */
  until: 'idle' | 'triggered' | 'stopped';
  writesPerMin: number;
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
  let latest: Tally | undefined;
  let bar: cliProgress.SingleBar | undefined;

  const doneOf = async (t: Tally) => {
    if (options.until !== 'triggered') return t.total - t.pending;
    const counts = await handoff.stats();
    return t.total - PRE_TRIGGER_STATES.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  };

  const sample = async () => {
    const t = tally(await handoff.stats());
    latest = t;
    const done = await doneOf(t);
    firstDone ??= done;
    const elapsed = (Date.now() - started) / 1000;
    const rate = elapsed > 0 ? (done - firstDone) / elapsed : 0;
    const remaining = t.total - done;
    // The rate budget is what bounds a real import: remaining users × 3 writes ÷ writes per minute.
    const eta =
      remaining === 0
        ? 0
        : options.writesPerMin > 0
          ? Math.max(
              (remaining * WRITES_PER_USER * 60) / options.writesPerMin,
              rate > 0 ? remaining / rate : 0,
            )
          : rate > 0
            ? remaining / rate
            : Number.POSITIVE_INFINITY;
    return { t, done, rate, eta };
  };

  if (tty) {
    bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format:
          '{bar} {value}/{total} | verified {verified} rejected {rejected} data {requiresData} failed {failed} pending {pending} | {rate} users/s | ETA {eta_text}',
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
    });
  }

  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const { t, done, rate, eta } = await sample();
      if (bar) {
        bar.setTotal(t.total);
        bar.update(done, { ...t, rate: rate.toFixed(1), eta_text: formatDuration(eta) });
      } else {
        process.stderr.write(
          `progress: ${done}/${t.total} ${options.until === 'triggered' ? 'triggered' : 'done'} (verified ${t.verified}, rejected ${t.rejected}, requires data ${t.requiresData}, failed ${t.failed}, pending ${t.pending}), ${rate.toFixed(1)} users/s, ETA ${formatDuration(eta)}\n`,
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
      void latest;
    },
  };
}
