import type { ResultAsync } from 'neverthrow';
import type {
  DocumentResponse,
  DocumentUploadRequest,
  EligibilityResponse,
  LegalDocumentRequest,
  LegalDocumentResponse,
  UserResponse,
  UserUpsertRequest,
} from '../schemas/api.js';
import type { CrossmintError } from './crossmint-error.js';

export interface UpsertOutcome {
  /** 201 (created) or 200 (updated). */
  created: boolean;
  user: UserResponse;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * The users API as the engine sees it: one method per call. `locator` is the full user locator
 * (`userId:<id>`); adapters encode it as one path segment.
 */
export interface CrossmintPort {
  /** Where the calls go (e.g. `https://staging.crossmint.com/api`), for messages; optional. */
  readonly baseUrl?: string;
  recordLegalDocument(
    locator: string,
    body: LegalDocumentRequest,
    options?: CallOptions,
  ): ResultAsync<LegalDocumentResponse, CrossmintError>;
  upsertUser(
    locator: string,
    body: UserUpsertRequest,
    options?: CallOptions,
  ): ResultAsync<UpsertOutcome, CrossmintError>;
  getUser(locator: string, options?: CallOptions): ResultAsync<UserResponse, CrossmintError>;
  triggerVerification(
    locator: string,
    options?: CallOptions,
  ): ResultAsync<EligibilityResponse, CrossmintError>;
  getVerification(locator: string, options?: CallOptions): ResultAsync<EligibilityResponse, CrossmintError>;
  uploadDocument(
    body: DocumentUploadRequest,
    options?: CallOptions,
  ): ResultAsync<DocumentResponse, CrossmintError>;
  getDocument(documentId: string, options?: CallOptions): ResultAsync<DocumentResponse, CrossmintError>;
}

/** Which rate budget a call spends: Crossmint counts PUT/POST as writes and GET as reads. */
export type BudgetKind = 'write' | 'read';
