import type { BudgetKind } from '../ports/crossmint.js';
import type { DocumentType } from '../schemas/api.js';
import { EFFECT_BUDGET, type EffectCall, type StateMeta } from './effects.js';
import type { OnboardingSnapshot } from './snapshot.js';

export type PendingEffect =
  /** Make this Crossmint call once `dueAt` has come, then send its result as an event. */
  | {
      kind: 'call';
      call: EffectCall;
      budget: BudgetKind;
      userId: string;
      documentType?: DocumentType;
      dueAt: number;
    }
  /** Nothing to call: send DUE at `dueAt`. */
  | { kind: 'wake'; dueAt: number }
  /** Nothing to do until someone acts (or ever, once terminal). */
  | { kind: 'none'; awaits: 'data' | 'operator' | 'nothing' };

/** What the engine must do next for a snapshot; a restored snapshot alone says what is pending. */
export function pendingEffect(snapshot: OnboardingSnapshot): PendingEffect {
  const metas = Object.values(snapshot.getMeta()) as StateMeta[];
  const { context } = snapshot;
  const effect = metas.find((m) => m.effect !== undefined)?.effect;
  if (effect !== undefined && context.wakeAt !== null) {
    const call = {
      kind: 'call' as const,
      call: effect,
      budget: EFFECT_BUDGET[effect],
      userId: context.userId,
      dueAt: context.wakeAt,
    };
    const documentType = context.pendingDocuments[0];
    return effect === 'uploadDocument' && documentType !== undefined ? { ...call, documentType } : call;
  }
  if (metas.some((m) => m.wait !== undefined) && context.wakeAt !== null)
    return { kind: 'wake', dueAt: context.wakeAt };
  const awaits = metas.find((m) => m.awaits !== undefined)?.awaits;
  return { kind: 'none', awaits: awaits ?? 'nothing' };
}
