import type { CommitResult, CommitTransition, OnboardingStore } from '@kyc-handoff/core';

interface Pending {
  transition: CommitTransition;
  resolve: (result: CommitResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: every transition handed in during one turn of the event loop goes to the store in
 * one transaction, so thousands of onboardings cost a handful of commits, not one each.
 */
export class GroupCommitter {
  private pending: Pending[] = [];
  private scheduled = false;
  private flushing: Promise<void> = Promise.resolve();
  commits = 0;

  constructor(
    private readonly store: OnboardingStore,
    private readonly maxBatch = 500,
  ) {}

  commit(transition: CommitTransition): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ transition, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flushing = this.flushing.then(() => this.flush());
        });
      }
    });
  }

  /** Resolves once everything handed in so far is committed. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.scheduled) {
      await new Promise((resolve) => setImmediate(resolve));
      await this.flushing;
    }
    await this.flushing;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const results = await this.store.commit(batch.map((p) => p.transition));
        this.commits++;
        const byUser = new Map(results.map((r) => [r.userId, r]));
        for (const p of batch) {
          p.resolve(byUser.get(p.transition.userId) ?? { userId: p.transition.userId, committed: false });
        }
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
  }
}
