export { type BudgetSnapshot, Budgets, TokenBucket } from './budget.js';
export { type Clock, systemClock, VirtualClock } from './clock.js';
export {
  DELIVERY_DEFAULTS,
  type Delivery,
  type DeliveryHandler,
  type DeliveryOptions,
} from './deliverer.js';
export {
  checkDocuments,
  createDocumentReader,
  DEFAULT_MAX_HELD_DOCUMENT_BYTES,
  type DocumentReader,
  type DocumentReaderOptions,
  DocumentRefusedError,
  type HeldDocument,
} from './documents.js';
export { FATAL_KINDS, type FatalKind, HandoffFatalError } from './fatal.js';
export { type BudgetActivity, createHandoff, type Handoff } from './handoff.js';
export { createStatelyInspector, type InspectorTarget } from './inspect.js';
export type { SubmitResult } from './intake.js';
export type { ListFilter, OnboardingListing } from './listing.js';
export { type Logger, silentLogger } from './logger.js';
export type { ManualResult } from './manual.js';
export { QUARANTINED, type TransitionNotice } from './notices.js';
export {
  type BudgetLimits,
  DEFAULTS,
  HandoffConfigError,
  type HandoffOptions,
  type InspectorLike,
  type PerMinute,
} from './options.js';
export type { BudgetView, HandoffStats } from './pacing.js';
export type { RunOptions } from './scheduler.js';
export type { OnboardingStatus } from './status.js';
export { type WebhookBody, WebhookConfigError, type WebhookOptions, webhookSender } from './webhook.js';
