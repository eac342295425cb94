import type { OnboardingListing } from '@kyc-handoff/engine';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, csvHeader, csvLine, ndjsonLine } from './export-rows.js';

const listing = (over: Partial<OnboardingListing> = {}): OnboardingListing => ({
  userId: 'u-1',
  state: 'requiresData',
  statePath: 'requiresData.waiting',
  outcome: null,
  eligibility: { offramp: 'requires-data', onramp: 'verified' },
  requested: { missingData: ['kyc-data', 'due-diligence'], missingDocuments: ['id', 'selfie'] },
  attempts: 2,
  errorKind: null,
  failureReason: null,
  createdAt: Date.UTC(2026, 0, 1),
  updatedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
  ...over,
});

describe('export rows', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
    [' padded', '" padded"'],
    ['', ''],
  ])('a CSV field %j is written %j', (value, written) => {
    expect(csvField(value)).toBe(written);
  });

  it('what is written parses back to the same cells with csv-parse', () => {
    const awkward = ['a,b', 'say "hi"', 'two\nlines', ' padded ', ';'];
    const text = `${awkward.map(csvField).join(',')}\n`;
    expect(parse(text)).toEqual([awkward]);
  });

  it('a CSV line has one cell per header column, eligibility by product and lists joined with ;', () => {
    const [row] = parse(csvHeader() + csvLine(listing()), { columns: true }) as Record<string, string>[];
    expect(Object.keys(row ?? {})).toEqual([...CSV_COLUMNS]);
    expect(row).toMatchObject({
      userId: 'u-1',
      outcome: '',
      'eligibility.offramp': 'requires-data',
      'eligibility.onramp': 'verified',
      'eligibility.onramp-light': '',
      missingData: 'kyc-data;due-diligence',
      missingDocuments: 'id;selfie',
      attempts: '2',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('an NDJSON line has ISO times and empty lists when nothing is requested', () => {
    expect(
      JSON.parse(ndjsonLine(listing({ requested: null, state: 'verified', outcome: 'verified' }))),
    ).toMatchObject({
      missingData: [],
      missingDocuments: [],
      outcome: 'verified',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
  });
});
