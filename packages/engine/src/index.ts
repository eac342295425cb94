export {
  type BudgetLimits,
  Budgets,
  DEFAULT_BUDGETS,
  type SharedTokenSource,
  TokenBucket,
} from './budget.js';
export { type Clock, systemClock, VirtualClock } from './clock.js';
export {
  createDocumentReader,
  DEFAULT_MAX_HELD_DOCUMENT_BYTES,
  type DocumentReader,
  type DocumentReaderOptions,
  DocumentRefusedError,
  type HeldDocument,
} from './documents.js';
export {
  createHandoff,
  type Handoff,
  type HandoffOptions,
  type InspectorLike,
  type ManualResult,
  QUARANTINED,
  type RunOptions,
  type SubmitResult,
  type TransitionNotice,
} from './engine.js';
export { createStatelyInspector, type InspectorTarget } from './inspect.js';
export { type Logger, silentLogger } from './logger.js';
export type { OnboardingStatus } from './status.js';
