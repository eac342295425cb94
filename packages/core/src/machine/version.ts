/** Bumped whenever a change would make stored snapshots of an older machine unreadable. */
export const MACHINE_VERSION = 1;

/** What a finished onboarding machine outputs. */
export interface OnboardingOutput {
  outcome: 'verified' | 'rejected';
}
