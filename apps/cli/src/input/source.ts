import type { FieldIssue } from '@kyc-handoff/core';

/** One record of an input file: its value, or why it could not even be read as a record. */
export type SourceItem = { line: number; value: unknown } | { line: number; error: FieldIssue };
