// Stores skip validating a record loaded under the RECORD_RULES_VERSION it was validated under.
// This test fails whenever the files holding the record's rules change, so that nobody tightens a
// rule without deciding whether stored records must be validated again.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RECORD_RULES_VERSION } from './record.js';

const RULE_FILES = ['record.ts', 'api.ts', 'formats.ts'];

/** The RECORD_RULES_VERSION these sources were last reviewed under, and their SHA-256. */
const REVIEWED = {
  version: 1,
  sha256: 'f13cd85ab2e72d23f53f067589e53fe3d0a41e57b497634e95e06417386ecde2',
};

describe('the record rules version', () => {
  it('is raised, or deliberately kept, whenever the files of the record rules change', () => {
    const hash = createHash('sha256');
    // Line endings as git may check them out on Windows do not count as a change.
    for (const file of RULE_FILES) {
      hash.update(readFileSync(new URL(file, import.meta.url), 'utf8').replaceAll('\r\n', '\n'));
    }
    const sha256 = hash.digest('hex');
    const advice =
      `One of ${RULE_FILES.join(', ')} changed. If a record that passed before may now fail (or pass ` +
      'differently), raise RECORD_RULES_VERSION in record.ts, so records already stored are validated ' +
      'again when loaded. Then set REVIEWED in this test to the version and to this SHA-256: ' +
      sha256;
    expect({ version: RECORD_RULES_VERSION, sha256 }, advice).toEqual(REVIEWED);
  });
});
