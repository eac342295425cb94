import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { brokenRecordArb, recordInputArb } from '../__test-utils__/arbitraries.js';
import { parseRecord } from './record.js';

const RUNS = { seed: 42, numRuns: 200 } as const;

describe('every record either validates or gets a reason', () => {
  it('a record generated from the schemas validates', () => {
    fc.assert(
      fc.property(recordInputArb(), (input) => {
        const result = parseRecord(input);
        expect(result.ok ? [] : result.issues).toEqual([]);
      }),
      RUNS,
    );
  });

  it('a record with one mistake is refused, with an issue that names the field and says why', () => {
    fc.assert(
      fc.property(brokenRecordArb, ({ input, mistake }) => {
        const result = parseRecord(input);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) {
          expect(issue.field).toMatch(/^[\w.()]+$/);
          expect(issue.reason.length).toBeGreaterThan(0);
        }
        expect(result.issues.map((i) => i.field)).toContain(mistake.field);
        // The offending value is never echoed (short values like "" or "ssn" could match by chance).
        if (typeof mistake.value === 'string' && mistake.value.length > 6) {
          expect(JSON.stringify(result.issues)).not.toContain(mistake.value);
        }
      }),
      RUNS,
    );
  });

  it('anything at all gets either a record or at least one field/reason pair, and never throws', () => {
    const anything = fc.oneof(
      fc.anything(),
      recordInputArb().map((r) => ({ ...r, extra: 1 })),
      brokenRecordArb.map((b) => b.input),
    );
    fc.assert(
      fc.property(anything, (input) => {
        const result = parseRecord(input);
        if (result.ok) return;
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) {
          expect(issue.field).not.toBe('');
          expect(issue.reason).not.toBe('');
        }
      }),
      RUNS,
    );
  });
});
