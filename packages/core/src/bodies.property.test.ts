import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataUrlArb, recordInputArb } from './__test-utils__/arbitraries.js';
import { documentUploadBody, legalDocumentBody, upsertBody } from './bodies.js';
import { DocumentUploadRequest, LegalDocumentRequest, SECTIONS, UserUpsertRequest } from './schemas/api.js';
import { InputRecord } from './schemas/record.js';

const RUNS = { seed: 42, numRuns: 200 } as const;

/** A deep copy whose object keys are in another order at every depth (reversed or sorted). */
function reordered(value: unknown, order: 'reverse' | 'sort'): unknown {
  if (Array.isArray(value)) return value.map((item) => reordered(item, order));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  const ordered = order === 'reverse' ? keys.reverse() : keys.sort();
  return Object.fromEntries(ordered.map((k) => [k, reordered((value as Record<string, unknown>)[k], order)]));
}

const json = (value: unknown) => JSON.stringify(value);

describe('write bodies are pure functions of the record', () => {
  it('the same record, cloned or written with its keys in another order, gives byte-identical bodies', () => {
    fc.assert(
      fc.property(recordInputArb(), fc.constantFrom('reverse' as const, 'sort' as const), (input, order) => {
        const record = InputRecord.parse(input);
        const again = InputRecord.parse(reordered(structuredClone(input), order));
        expect(json(upsertBody(again))).toBe(json(upsertBody(record)));
        expect(json(upsertBody(structuredClone(record)))).toBe(json(upsertBody(record)));
        expect(json(upsertBody(record))).toBe(json(upsertBody(record)));
        expect(json(legalDocumentBody(again))).toBe(json(legalDocumentBody(record)));
      }),
      RUNS,
    );
  });

  it('the upsert body re-validates with the strict schema, unchanged', () => {
    fc.assert(
      fc.property(recordInputArb(), (input) => {
        const body = upsertBody(InputRecord.parse(input));
        const parsed = UserUpsertRequest.safeParse(body);
        expect(parsed.success).toBe(true);
        expect(json(parsed.data)).toBe(json(body));
      }),
      RUNS,
    );
  });

  it('the upsert body carries exactly the sections the record has, in the documented order, in current spelling', () => {
    fc.assert(
      fc.property(recordInputArb(), (input) => {
        const record = InputRecord.parse(input);
        const body = upsertBody(record);
        expect(Object.keys(body)).toEqual(SECTIONS.filter((section) => record[section] !== undefined));
        expect(body.kycData?.addressOfResidence ?? {}).not.toHaveProperty('state');
        for (const stamp of Object.values(body.verificationHistory ?? {})) expect(stamp).toMatch(/Z$/);
        // The body holds no key whose value is undefined: JSON and the object agree.
        expect(JSON.parse(json(body))).toEqual(body);
      }),
      RUNS,
    );
  });

  it('the legal-document body re-validates with the strict schema: privacy policy, acceptedAt ending in Z', () => {
    fc.assert(
      fc.property(recordInputArb(), (input) => {
        const record = InputRecord.parse(input);
        const body = legalDocumentBody(record);
        expect(LegalDocumentRequest.safeParse(body).success).toBe(true);
        expect(body).toEqual({
          type: 'crossmint-privacy-policy',
          acceptedAt: record.privacyPolicyAcceptedAt,
        });
        expect(body.acceptedAt).toMatch(/Z$/);
      }),
      RUNS,
    );
  });

  it('each document upload body re-validates with the strict schema and depends only on its inputs', () => {
    fc.assert(
      fc.property(recordInputArb(), dataUrlArb, (input, bytes) => {
        const record = InputRecord.parse(input);
        for (const document of record.documents ?? []) {
          const data = document.data ?? bytes;
          const body = documentUploadBody(record.userId, document, data);
          expect(DocumentUploadRequest.safeParse(body).success).toBe(true);
          expect(body.reference.userLocator).toBe(`userId:${record.userId}`);
          expect(json(documentUploadBody(record.userId, structuredClone(document), data))).toBe(json(body));
        }
      }),
      RUNS,
    );
  });
});
