// The public surface of @kyc-handoff/core, name by name: adding an export is a decision.

// Request bodies: pure functions of the record, so a repeated call sends identical bytes.
export {
  documentUploadBody,
  legalDocumentBody,
  upsertBody,
} from './bodies.js';
export {
  DEFAULT_POLICY,
  type Failure,
  type FailureReason,
  type OnboardingContext,
  type OnboardingInput,
  type OnboardingPolicy,
  type PolicyOverrides,
  policyWith,
  QUARANTINE_REASONS,
  type QuarantineReason,
  type Step,
  type StepError,
} from './machine/context.js';
// Diagrams of the machine (Mermaid, DOT, JSON, Markdown).
export {
  machineMarkdown,
  toDefinitionJson,
  toDot,
  toMermaid,
} from './machine/diagram.js';
export type {
  EffectCall,
  StateMeta,
} from './machine/effects.js';
export type {
  OnboardingEvent,
  OnboardingEventType,
} from './machine/events.js';
export {
  type PendingEffect,
  pendingEffect,
} from './machine/pending-effect.js';
export {
  isQuarantineReason,
  quarantinedSnapshot,
  type RestoreResult,
  restoreSnapshot,
} from './machine/restore.js';
export {
  type EffectResults,
  eventFromResult,
} from './machine/result-events.js';
export {
  applyEvent,
  type OnboardingSnapshot,
  type OnboardingStateValue,
  type PersistedSnapshot,
  startOnboarding,
  startPersisted,
  statePath,
  TOP_LEVEL_STATES,
  type TopLevelState,
  toPersisted,
  topLevelState,
} from './machine/snapshot.js';
export { MACHINE_VERSION, type OnboardingOutput } from './machine/version.js';
// Ports: what the engine needs of Crossmint and of a store.
export type {
  BudgetKind,
  CallOptions,
  CrossmintPort,
  UpsertOutcome,
} from './ports/crossmint.js';
export {
  CROSSMINT_ERROR_KINDS,
  type CrossmintError,
  type CrossmintErrorKind,
} from './ports/crossmint-error.js';
export {
  type ClaimedOutboxEvent,
  type ClaimOptions,
  type CommitResult,
  type CommitTransition,
  checkOutboxUser,
  hasSharedBudget,
  hasWakeNotifications,
  isStoredRecordError,
  type JournalEntry,
  LANE_STATES,
  LANES,
  type Lane,
  LIST_PAGE_MAX,
  type ListOptions,
  listPageSize,
  type NewOnboarding,
  type OnboardingRow,
  type OnboardingStore,
  OUTBOX_EVENT_TYPES,
  type OutboxEvent,
  type OutboxEventType,
  type OutboxPayload,
  type OutboxSettlement,
  type OutboxStats,
  type OutboxStatus,
  type Outcome,
  outboxEventNumber,
  type PersistedOnboarding,
  type SharedBudget,
  type StateCounts,
  StoredRecordError,
  type StoredRecordProblem,
  type SubmitOutcome,
  type SubmitStatus,
  type TransitionCount,
  TransitionTally,
  type WakeNotifications,
} from './ports/store.js';
export { TurnBatch } from './ports/turn-batch.js';
// Redaction of personal data from messages.
export {
  clip,
  redact,
  redactRecordValues,
  secretsOf,
} from './redact.js';
// The region table of Crossmint's data requirements.
export {
  EU_EEA,
  isComplete,
  type Region,
  type Requirements,
  type RequirementsSubject,
  regionOf,
  requirementsFor,
  US_DUE_DILIGENCE_STATES,
} from './requirements.js';
// The users API as zod schemas (the single source of truth of its shapes) and its enumerations.
export {
  AcceptedLegalDocument,
  Address,
  type AddressOut,
  API_VERSION,
  DOCUMENT_TYPES,
  DocumentData,
  DocumentResponse,
  type DocumentType,
  DocumentTypeSchema,
  DocumentUploadRequest,
  DocumentUploadRequestLenient,
  DueDiligence,
  EligibilityResponse,
  type EligibilityStatus,
  ErrorBody,
  IdentityDocument,
  KNOWN_MISSING_DATA,
  KNOWN_MISSING_DOCUMENTS,
  KycData,
  LEGAL_DOCUMENT_TYPES,
  LegalDocumentRequest,
  LegalDocumentRequestLenient,
  LegalDocumentResponse,
  MAX_DOCUMENT_BYTES,
  NOT_ENABLED_MESSAGE,
  PRODUCT_TYPES,
  ProductEligibility,
  type ProductType,
  ProductTypeSchema,
  SECTIONS,
  type Section,
  TERMS_REGIONS,
  UserDetails,
  UserResponse,
  UserUpsertRequest,
  userLocator,
  VERIFICATION_STATUSES,
  VerificationHistory,
  type VerificationStatus,
} from './schemas/api.js';
// Input records: what a platform submits per user, and how a refusal names the field.
export {
  describeIssues,
  type FieldIssue,
  InputRecord,
  type InputRecordInput,
  type ParseRecordResult,
  parseRecord,
  RECORD_RULES_VERSION,
  RecordDocument,
  SuppliedData,
  USER_ID,
} from './schemas/record.js';
