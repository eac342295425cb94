import { readFile } from 'node:fs/promises';
import type { Handoff, OnboardingStatus, TransitionNotice } from '@kyc-handoff/engine';
import { EXIT, UserError } from './errors.js';
import type { Session } from './session.js';

/** Prints each transition of one user as it happens: `from → to (event detail)`. */
export function printTransitions(handoff: Handoff, userId: string): () => void {
  return handoff.subscribe((n: TransitionNotice) => {
    if (n.userId !== userId) return;
    process.stdout.write(`${n.from} → ${n.to} (${n.event}${n.detail !== undefined ? ` ${n.detail}` : ''})\n`);
  });
}

/** 0 verified, 2 rejected, 3 requires data, 4 failed; anything still moving is 0 (nothing failed). */
export function exitCodeOf(status: OnboardingStatus | undefined): number {
  if (status === undefined) return EXIT.fatal;
  if (status.outcome === 'verified' || status.state === 'verified') return EXIT.verified;
  if (status.outcome === 'rejected' || status.state === 'rejected') return EXIT.rejected;
  if (status.state === 'requiresData') return EXIT.requiresData;
  if (status.state === 'failed') return EXIT.failed;
  return EXIT.verified;
}

/** Runs the session until idle, prints how the user's onboarding ended, and returns the exit status. */
export async function runToEnd(session: Session, userId: string): Promise<number> {
  const { interrupted } = await session.run('idle');
  const status = await session.handoff.status(userId);
  if (status) process.stdout.write(`${describeEnd(status)}\n`);
  return interrupted ? EXIT.interrupted : exitCodeOf(status);
}

/** One line on how an onboarding ended, and what to do about it. */
export function describeEnd(status: OnboardingStatus): string {
  switch (status.state) {
    case 'verified':
      return `${status.userId}: verified`;
    case 'rejected':
      return `${status.userId}: rejected by Crossmint (no reason is given)`;
    case 'requiresData': {
      const r = status.requested;
      const what = [
        r && r.missingData.length > 0 ? `data ${r.missingData.join(', ')}` : '',
        r && r.missingDocuments.length > 0 ? `documents ${r.missingDocuments.join(', ')}` : '',
      ]
        .filter((s) => s !== '')
        .join('; ');
      return `${status.userId}: Crossmint requires more (${what || 'see status'}): kyc-handoff supply ${status.userId} FILE.json`;
    }
    case 'failed':
      return `${status.userId}: failed (${status.lastError ?? status.failure?.reason ?? 'see status'}): fix the cause, then kyc-handoff retry ${status.userId}`;
    default:
      return `${status.userId}: ${status.statePath} (still in progress: kyc-handoff resume continues it)`;
  }
}

/** A JSON file given on the command line, or one clear line saying why it cannot be used. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UserError(`${file} is not valid JSON: give one JSON object`);
  }
}
