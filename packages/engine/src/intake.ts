import {
  type FieldIssue,
  type InputRecord,
  MACHINE_VERSION,
  type NewOnboarding,
  type PolicyOverrides,
  type ProductType,
  parseRecord,
  requirementsFor,
  type SubmitStatus,
  startPersisted,
  topLevelState,
} from '@kyc-handoff/core';
import { submittedPayload } from './outbox.js';
import { seedFor } from './seed.js';

export type SubmitResult =
  | { userId: string; status: SubmitStatus }
  | { userId: string | undefined; status: 'invalid'; issues: FieldIssue[] }
  | { userId: string; status: 'incomplete'; missingData: string[]; missingDocuments: string[] };

export interface IntakeSettings {
  targets: readonly ProductType[];
  /** Refuse a record that certainly lacks what its region requires. */
  precheck: boolean;
  policy?: PolicyOverrides | undefined;
}

/** A record read and checked: refused with a reason, or accepted as a new onboarding to store. */
export type Intake =
  | { accepted: false; result: SubmitResult }
  | { accepted: true; record: InputRecord; onboarding: NewOnboarding };

/** Parses and validates one submitted value; pure, so a batch of them costs no I/O. */
export function parseSubmission(
  raw: unknown,
): { ok: true; record: InputRecord } | { ok: false; result: SubmitResult } {
  const parsed = parseRecord(raw);
  return parsed.ok
    ? { ok: true, record: parsed.record }
    : { ok: false, result: { userId: parsed.userId, status: 'invalid', issues: parsed.issues } };
}

/**
 * The onboarding of a valid record, unless the region check says Crossmint would certainly ask for
 * more (then it is `incomplete`, and no budget is spent on it). Pure: the first call is due at `now`,
 * the backoff jitter is seeded by the user id, so a restart computes the same waits.
 */
export function intake(record: InputRecord, settings: IntakeSettings, now: number): Intake {
  if (settings.precheck) {
    const missing = settings.targets.map((product) => requirementsFor(record, product));
    const missingData = [...new Set(missing.flatMap((m) => m.missingData))];
    const missingDocuments = [...new Set(missing.flatMap((m) => m.missingDocuments))];
    if (missingData.length > 0 || missingDocuments.length > 0) {
      return {
        accepted: false,
        result: { userId: record.userId, status: 'incomplete', missingData, missingDocuments },
      };
    }
  }
  const snapshot = startPersisted({
    userId: record.userId,
    targets: settings.targets,
    documentTypes: (record.documents ?? []).map((d) => d.documentType),
    seed: seedFor(record.userId),
    now,
    ...(settings.policy && { policy: settings.policy }),
  });
  return {
    accepted: true,
    record,
    onboarding: {
      record,
      state: topLevelState(snapshot),
      snapshot,
      machineVersion: MACHINE_VERSION,
      wakeAt: now,
      outbox: submittedPayload(snapshot, now),
    },
  };
}
