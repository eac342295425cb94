import {
  type CrossmintPort,
  documentUploadBody,
  type EffectResults,
  eventFromResult,
  type InputRecord,
  legalDocumentBody,
  type OnboardingEvent,
  type PendingEffect,
  upsertBody,
  userLocator,
} from '@kyc-handoff/core';
import type { Result, ResultAsync } from 'neverthrow';
import { type DocumentReader, DocumentRefusedError, type HeldDocument } from './documents.js';

type CallEffect = Extract<PendingEffect, { kind: 'call' }>;

const dataProblem = (now: number, message: string): OnboardingEvent => ({
  type: 'STEP_FAILED',
  now,
  error: { kind: 'invalid-data', message },
});

/**
 * Makes the call a state waits for and returns its result as the machine's event. Bodies are pure
 * functions of the stored record, so a call repeated after a crash sends identical bytes.
 */
export async function performCall(
  port: CrossmintPort,
  effect: CallEffect,
  record: InputRecord | undefined,
  readDocument: DocumentReader,
  now: () => number,
  signal?: AbortSignal,
): Promise<OnboardingEvent> {
  const locator = userLocator(effect.userId);
  const options = signal ? { signal } : {};
  const settle = async <C extends CallEffect['call']>(
    call: C,
    pending: ResultAsync<EffectResults[C], unknown>,
  ) => eventFromResult(call, (await pending) as Result<EffectResults[C], never>, now(), effect.documentType);

  switch (effect.call) {
    case 'triggerVerification':
      return settle('triggerVerification', port.triggerVerification(locator, options));
    case 'getVerification':
      return settle('getVerification', port.getVerification(locator, options));
    default:
      break;
  }
  if (record === undefined) {
    return dataProblem(now(), `the record of ${effect.userId} is no longer stored (erased): submit it again`);
  }
  switch (effect.call) {
    case 'recordLegalDocument':
      return settle(
        'recordLegalDocument',
        port.recordLegalDocument(locator, legalDocumentBody(record), options),
      );
    case 'upsertUser':
      return settle('upsertUser', port.upsertUser(locator, upsertBody(record), options));
    default: {
      const document = record.documents?.find((d) => d.documentType === effect.documentType);
      if (document === undefined) {
        return dataProblem(
          now(),
          `the record of ${effect.userId} has no ${effect.documentType} document: supply it`,
        );
      }
      let held: HeldDocument;
      try {
        held = await readDocument.read(document, signal);
      } catch (error) {
        if (error instanceof DocumentRefusedError) {
          return dataProblem(now(), `document of ${effect.userId}: ${error.message}`);
        }
        if (signal?.aborted) {
          // Stopped while waiting for the document byte budget: nothing was sent.
          return { type: 'STEP_FAILED', now: now(), error: { kind: 'transient', message: 'stopped' } };
        }
        throw error;
      }
      try {
        return await settle(
          'uploadDocument',
          port.uploadDocument(documentUploadBody(effect.userId, document, held.data), options),
        );
      } finally {
        held.release();
      }
    }
  }
}
