import type { Handoff, SubmitResult } from '@kyc-handoff/engine';
import type { SourceItem } from './input/source.js';
import type { RefusedRecord, Reporter } from './report.js';

export interface IntakeCounts {
  /** Records read (non-blank lines / rows). */
  records: number;
  /** Invalid, incomplete or conflicting: reported, not submitted. */
  refused: number;
  created: number;
  unchanged: number;
  updated: number;
}

export interface IntakeOptions {
  update: boolean;
  /** Records per submit; the next batch is read only after this one is stored. */
  batchSize?: number;
  /** Called after each stored batch (for progress while reading). */
  onBatch?: (counts: IntakeCounts) => void;
}

function refusal(line: number, result: SubmitResult, update: boolean): RefusedRecord | undefined {
  switch (result.status) {
    case 'invalid':
      return { line, userId: result.userId, status: 'invalid', issues: result.issues };
    case 'incomplete':
      return {
        line,
        userId: result.userId,
        status: 'incomplete',
        missingData: result.missingData,
        missingDocuments: result.missingDocuments,
        hint: 'complete the record, or send it anyway with --no-precheck and let Crossmint ask',
      };
    case 'conflict':
      return {
        line,
        userId: result.userId,
        status: 'conflict',
        hint: update
          ? 'changed meanwhile by another worker; re-run to retry'
          : 'this user was imported before with different data; re-run with --update to replace it',
      };
    default:
      return undefined;
  }
}

export interface IntakeResult {
  counts: IntakeCounts;
  /** Why reading stopped early (a CSV syntax error); every record read before it is stored or reported. */
  stopped?: Error;
}

/**
 * Submits records in batches, awaiting each batch before reading on (so memory does not grow with
 * the input), and reports every refused record with its line number, in line order: a line refused
 * while reading waits in its batch for the refusals the submit finds around it.
 */
export async function submitAll(
  handoff: Handoff,
  source: AsyncIterable<SourceItem>,
  reporter: Reporter,
  options: IntakeOptions,
): Promise<IntakeResult> {
  const counts: IntakeCounts = { records: 0, refused: 0, created: 0, unchanged: 0, updated: 0 };
  const batchSize = options.batchSize ?? 500;
  let batch: SourceItem[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const values = batch.flatMap((item) => ('value' in item ? [item.value] : []));
    const results = values.length > 0 ? await handoff.submit(values, { update: options.update }) : [];
    let next = 0;
    for (const item of batch) {
      let refused: RefusedRecord | undefined;
      if ('value' in item) {
        const result = results[next++];
        if (result === undefined) throw new Error(`submit returned no result for line ${item.line}`);
        refused = refusal(item.line, result, options.update);
        if (
          !refused &&
          (result.status === 'created' || result.status === 'unchanged' || result.status === 'updated')
        ) {
          counts[result.status]++;
        }
      } else {
        refused = { line: item.line, userId: item.userId, status: 'invalid', issues: item.issues };
      }
      if (refused) {
        counts.refused++;
        await reporter.add(refused);
      }
    }
    batch = [];
    options.onBatch?.(counts);
  };

  const items = source[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<SourceItem>;
    try {
      next = await items.next();
    } catch (error) {
      // The input cannot be read on; what was read before is good and must not be lost with it.
      await flush();
      return { counts, stopped: error instanceof Error ? error : new Error(String(error)) };
    }
    if (next.done) break;
    counts.records++;
    batch.push(next.value);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return { counts };
}
