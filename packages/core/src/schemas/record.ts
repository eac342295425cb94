import { z } from 'zod';
import {
  DocumentData,
  DocumentTypeSchema,
  DueDiligence,
  KycData,
  UserDetails,
  VerificationHistory,
} from './api.js';
import { isoDate, isoUtcDateTimeLenient } from './formats.js';

/** A document the platform holds for the user: inline data URL, or a file path the engine reads. */
export const RecordDocument = z
  .object({
    documentType: DocumentTypeSchema,
    path: z.string().min(1).max(4096).optional(),
    data: DocumentData.optional(),
    expiresAt: isoDate.optional(),
  })
  .refine((d) => (d.path === undefined) !== (d.data === undefined), {
    message: 'give exactly one of path or data',
    path: ['path'],
  });
export type RecordDocument = z.infer<typeof RecordDocument>;

export const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$/;

/** One user as the platform holds it: the input of an onboarding. */
export const InputRecord = z.object({
  userId: z.string().regex(USER_ID, {
    message: 'must be 1-128 characters of letters, digits and . _ : @ + -, starting with a letter or digit',
  }),
  privacyPolicyAcceptedAt: isoUtcDateTimeLenient,
  userDetails: UserDetails.optional(),
  kycData: KycData.optional(),
  dueDiligence: DueDiligence.optional(),
  verificationHistory: VerificationHistory.optional(),
  documents: z
    .array(RecordDocument)
    .max(20)
    .refine((docs) => new Set(docs.map((d) => d.documentType)).size === docs.length, {
      message: 'each documentType may appear only once',
    })
    .optional(),
});
/** A record after validation: current spellings only. */
export type InputRecord = z.infer<typeof InputRecord>;
/** A record as a platform may write it (older spellings tolerated). */
export type InputRecordInput = z.input<typeof InputRecord>;

/** What supplyData accepts: any sections to replace, and documents to add or replace by type. */
export const SuppliedData = InputRecord.omit({ userId: true, privacyPolicyAcceptedAt: true }).extend({
  privacyPolicyAcceptedAt: isoUtcDateTimeLenient.optional(),
});
export type SuppliedData = z.infer<typeof SuppliedData>;

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `kycData.addressOfResidence.city`. */
  field: string;
  /** Why it was refused; never contains the field's value. */
  reason: string;
}

/** Zod issues as field/reason pairs, without ever echoing the input value. */
export function describeIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length === 0 ? '(record)' : issue.path.map(String).join('.'),
    reason: safeReason(issue),
  }));
}

function safeReason(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${issue.expected}`;
    case 'unrecognized_keys':
      return `has unknown field(s) ${issue.keys.join(', ')}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_big':
      return `is too long (maximum ${String(issue.maximum)})`;
    case 'too_small':
      return issue.minimum === 1 ? 'must not be empty' : `is too short (minimum ${String(issue.minimum)})`;
    default:
      // Custom and format messages are ours and never include the value.
      return issue.message;
  }
}

/**
 * The version of what a record must satisfy (this file, api.ts and formats.ts). A store may keep
 * with each record the version it was validated under and skip validating it again when it loads
 * it under the same version. Raise it whenever a rule tightens: records stored before are then
 * validated again when loaded, and one that no longer passes is set aside. record-rules.test.ts
 * fails when those files change, as a reminder.
 */
export const RECORD_RULES_VERSION = 1;

export type ParseRecordResult =
  | { ok: true; record: InputRecord }
  | { ok: false; userId: string | undefined; issues: FieldIssue[] };

export function parseRecord(input: unknown): ParseRecordResult {
  const valid = InputRecord.safeParse(input);
  if (valid.success) return { ok: true, record: valid.data };
  // Parsed again only when it failed: reportInput, which tells a missing field from a mistyped one,
  // costs a third more on every record. describeIssues never echoes the input.
  const parsed = InputRecord.safeParse(input, { reportInput: true });
  if (parsed.success) return { ok: true, record: parsed.data };
  const rawId =
    typeof input === 'object' && input !== null ? (input as { userId?: unknown }).userId : undefined;
  const userId = typeof rawId === 'string' && USER_ID.test(rawId) ? rawId : undefined;
  return { ok: false, userId, issues: describeIssues(parsed.error) };
}
