import type {
  CrossmintError,
  CrossmintPort,
  EligibilityResponse,
  ProductType,
  VerificationStatus,
} from '@kyc-handoff/core';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';

/**
 * A Crossmint that answers at once, with an outcome chosen by the user id's prefix:
 * `ok-` verified at the trigger, `rej-` rejected, `more-` requires data (kyc-data and a proof of
 * address), `wait-` stays under review, `bad-` has its upsert refused (invalid-data), `gone-` gets
 * not-found from the upsert. Both refusals fail the onboarding at once.
 */
export function fakeCrossmint(): CrossmintPort {
  const userOf = (locator: string) => locator.replace(/^userId:/, '');
  const statusOf = (userId: string): VerificationStatus => {
    if (userId.startsWith('rej-')) return 'rejected';
    if (userId.startsWith('more-')) return 'requires-data';
    if (userId.startsWith('wait-')) return 'pending-review';
    return 'verified';
  };
  const eligibility = (userId: string): EligibilityResponse => {
    const status = statusOf(userId);
    return {
      eligibility: (['offramp'] satisfies ProductType[]).map((type) => ({
        type,
        status,
        ...(status === 'requires-data' && {
          missingData: ['kyc-data'],
          missingDocuments: ['proof-of-address'],
        }),
      })),
    };
  };
  const refusal = (userId: string): CrossmintError | undefined => {
    if (userId.startsWith('bad-'))
      return { kind: 'invalid-data', status: 400, message: 'PUT /users/{locator}: 400' };
    if (userId.startsWith('gone-')) return { kind: 'not-found', message: 'PUT /users/{locator}: 404' };
    return undefined;
  };
  const answer = <T>(value: T): ResultAsync<T, CrossmintError> => okAsync(value);
  const user = (userId: string) => ({
    userId,
    userDetails: true,
    kycData: true,
    dueDiligence: false,
    verificationHistory: true,
  });
  return {
    baseUrl: 'http://fake.invalid/api',
    recordLegalDocument: (_locator, body) => answer({ acceptedAt: body.acceptedAt }),
    upsertUser: (locator) => {
      const userId = userOf(locator);
      const error = refusal(userId);
      return error === undefined ? answer({ created: true, user: user(userId) }) : errAsync(error);
    },
    getUser: (locator) => answer(user(userOf(locator))),
    triggerVerification: (locator) => answer(eligibility(userOf(locator))),
    getVerification: (locator) => answer(eligibility(userOf(locator))),
    uploadDocument: (body) =>
      answer({ id: 'doc_1', documentType: body.documentType, createdAt: '2026-01-01T00:00:00.000Z' }),
    getDocument: (documentId) =>
      answer({ id: documentId, documentType: 'id-passport', createdAt: '2026-01-01T00:00:00.000Z' }),
  };
}
