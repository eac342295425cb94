import type {
  CrossmintError,
  CrossmintPort,
  EligibilityResponse,
  ProductType,
  VerificationStatus,
} from '@kyc-handoff/core';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { Clock } from '../clock.js';

export type CallName = Exclude<keyof CrossmintPort, 'baseUrl'>;

export interface FakeCall {
  call: CallName;
  userId: string;
  at: number;
}

export interface FakePortOptions {
  clock: Clock;
  /** A review takes this long from the trigger (default: verified at once, in the trigger's answer). */
  reviewMs?: number;
  /** Answers a call with an error instead (checked first). */
  fail?: (call: CallName, userId: string) => CrossmintError | undefined;
}

const eligibility = (status: VerificationStatus): EligibilityResponse => ({
  eligibility: (['onramp', 'onramp-light', 'offramp', 'regulated-transfer'] satisfies ProductType[]).map(
    (type) => ({
      type,
      status,
    }),
  ),
});

/**
 * A CrossmintPort in memory for unit tests of the engine: every call answers at once (on the next
 * microtask), a review ends `reviewMs` after the trigger on the injected clock, and every call is
 * recorded with its time. No HTTP, no sandbox.
 */
export function fakePort(options: FakePortOptions) {
  const calls: FakeCall[] = [];
  const triggeredAt = new Map<string, number>();
  const userOf = (locator: string) => locator.replace(/^userId:/, '');
  const answer = <T>(call: CallName, userId: string, value: () => T): ResultAsync<T, CrossmintError> => {
    calls.push({ call, userId, at: options.clock.now() });
    const error = options.fail?.(call, userId);
    return error === undefined ? okAsync(value()) : errAsync(error);
  };
  const status = (userId: string): VerificationStatus => {
    const at = triggeredAt.get(userId);
    if (at === undefined) return 'not-started';
    return options.clock.now() - at >= (options.reviewMs ?? 0) ? 'verified' : 'pending-review';
  };
  const port: CrossmintPort = {
    baseUrl: 'http://fake.invalid/api',
    recordLegalDocument: (locator, body) =>
      answer('recordLegalDocument', userOf(locator), () => ({ acceptedAt: body.acceptedAt })),
    upsertUser: (locator) =>
      answer('upsertUser', userOf(locator), () => ({
        created: true,
        user: {
          userId: userOf(locator),
          userDetails: true,
          kycData: true,
          dueDiligence: false,
          verificationHistory: true,
        },
      })),
    getUser: (locator) =>
      answer('getUser', userOf(locator), () => ({
        userId: userOf(locator),
        userDetails: true,
        kycData: true,
        dueDiligence: false,
        verificationHistory: true,
      })),
    triggerVerification: (locator) => {
      const userId = userOf(locator);
      if (!triggeredAt.has(userId)) triggeredAt.set(userId, options.clock.now());
      return answer('triggerVerification', userId, () => eligibility(status(userId)));
    },
    getVerification: (locator) =>
      answer('getVerification', userOf(locator), () => eligibility(status(userOf(locator)))),
    uploadDocument: (body) =>
      answer('uploadDocument', userOf(body.reference.userLocator), () => ({
        id: `doc_${calls.length}`,
        documentType: body.documentType,
        createdAt: new Date(options.clock.now()).toISOString(),
      })),
    getDocument: (documentId) =>
      answer('getDocument', '', () => ({ id: documentId, documentType: 'id-passport', createdAt: '' })),
  };
  return { port, calls, triggeredAt };
}
