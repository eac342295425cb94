import type { OnboardingEvent } from '@kyc-handoff/core';

/** Answers that say no call of this run can succeed: the key, or the whole project, is refused. */
export const FATAL_KINDS = ['unauthorized', 'not-enabled'] as const;
export type FatalKind = (typeof FATAL_KINDS)[number];

const MESSAGES: Record<FatalKind, string> = {
  unauthorized:
    'Crossmint refused the API key (unauthorized): check that it is a server key of the environment of the base URL with the users.create and users.read scopes, then retry the failed onboardings',
  'not-enabled':
    'Crossmint says this project is not enabled for the users KYC endpoints: ask Crossmint to enable them for the project of this API key, then retry the failed onboardings',
};

/** `run()` ended because Crossmint refuses every call: going on would only spend the budget. */
export class HandoffFatalError extends Error {
  override readonly name = 'HandoffFatalError';
  constructor(readonly kind: FatalKind) {
    super(`${MESSAGES[kind]} (stopped after the first answers, to save the rate budget)`);
  }
}

/**
 * Counts fatal answers: after `after` of one kind with no successful call in between, it reports a
 * HandoffFatalError once (and `run()` stops). A single answer could be a proxy's blip; several in a row are the key or
 * the project. Each such user is already failed (the machine does not retry these kinds) and is
 * retried by an operator once the cause is fixed.
 */
export class FatalWatch {
  private readonly counts = new Map<FatalKind, number>();
  private reported = false;

  constructor(
    private readonly after: number,
    private readonly onFatal: (error: HandoffFatalError) => void,
  ) {}

  /**
   * A fatal kind answered since the last successful call, if any: a run that ends with only such
   * answers (a single user, say) never reaches `after` but is just as fatal.
   */
  unresolved(): FatalKind | undefined {
    return this.reported ? undefined : FATAL_KINDS.find((kind) => (this.counts.get(kind) ?? 0) > 0);
  }

  observe(event: OnboardingEvent): void {
    if (event.type !== 'STEP_FAILED') {
      this.counts.clear();
      return;
    }
    const kind = event.error.kind;
    if (kind !== 'unauthorized' && kind !== 'not-enabled') return;
    const count = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, count);
    if (count >= this.after && !this.reported) {
      this.reported = true;
      this.onFatal(new HandoffFatalError(kind));
    }
  }
}
