import type { FieldIssue } from '@kyc-handoff/core';

/**
 * One record of an input file: its value, or why it could not even be read as a record (with its
 * user id when that much could be read). Never a value from the record.
 */
export type SourceItem =
  | { line: number; value: unknown }
  | { line: number; userId?: string | undefined; issues: FieldIssue[] };
