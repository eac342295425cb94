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

/**
 * Submits records in batches, awaiting each batch before reading on (so memory does not grow with
 * the input), and reports every refused record with its line number.
 */
export async function submitAll(
  handoff: Handoff,
  source: AsyncIterable<SourceItem>,
  reporter: Reporter,
  options: IntakeOptions,
): Promise<IntakeCounts> {
  const counts: IntakeCounts = { records: 0, refused: 0, created: 0, unchanged: 0, updated: 0 };
  const batchSize = options.batchSize ?? 500;
  let lines: number[] = [];
  let values: unknown[] = [];

  const flush = async () => {
    if (values.length === 0) return;
    const results = await handoff.submit(values, { update: options.update });
    for (const [i, result] of results.entries()) {
      const line = lines[i] ?? 0;
      const refused = refusal(line, result, options.update);
      if (refused) {
        counts.refused++;
        await reporter.add(refused);
      } else if (
        result.status === 'created' ||
        result.status === 'unchanged' ||
        result.status === 'updated'
      ) {
        counts[result.status]++;
      }
    }
    lines = [];
    values = [];
    options.onBatch?.(counts);
  };

  for await (const item of source) {
    counts.records++;
    if ('error' in item) {
      counts.refused++;
      await reporter.add({ line: item.line, status: 'invalid', issues: [item.error] });
      continue;
    }
    lines.push(item.line);
    values.push(item.value);
    if (values.length >= batchSize) await flush();
  }
  await flush();
  return counts;
}
