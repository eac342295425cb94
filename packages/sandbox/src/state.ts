import type { UserUpsertRequest } from '@kyc-handoff/core';
import type { Verification } from './verification.js';

export const WRITE_ENDPOINTS = ['legalDocuments', 'upsert', 'trigger', 'documents'] as const;
export type WriteEndpoint = (typeof WRITE_ENDPOINTS)[number];

export interface StoredLegalDocument {
  type: string;
  acceptedAt: string;
  region?: string;
}

export interface StoredDocument {
  id: string;
  documentType: string;
  createdAt: string;
  expiresAt?: string;
  /** Hash of the data URL: enough to tell re-uploads apart without keeping the image. */
  dataSha256: string;
  userLocator: string;
}

export interface StoredUser {
  locator: string;
  userId: string;
  createdAt: string;
  sections: UserUpsertRequest;
  legalDocuments: Map<string, StoredLegalDocument>;
  /** By document type: a new upload of a type replaces the previous one. */
  documents: Map<string, StoredDocument>;
  verification: Verification | undefined;
  writes: Record<WriteEndpoint, number>;
  /** Distinct sha256 of raw request bodies per endpoint, so a test can prove no body changed on retry. */
  bodyHashes: Record<WriteEndpoint, Set<string>>;
}

/** Everything one API key (one Crossmint project) owns. */
export class Project {
  readonly users = new Map<string, StoredUser>();
  readonly documents = new Map<string, StoredDocument>();
}

export class SandboxState {
  readonly #projects = new Map<string, Project>();

  project(apiKey: string): Project {
    let project = this.#projects.get(apiKey);
    if (project === undefined) {
      project = new Project();
      this.#projects.set(apiKey, project);
    }
    return project;
  }

  find(apiKey: string, locator: string): StoredUser | undefined {
    return this.#projects.get(apiKey)?.users.get(locator);
  }

  clear(): void {
    this.#projects.clear();
  }
}

export function newUser(locator: string, userId: string, createdAt: string): StoredUser {
  return {
    locator,
    userId,
    createdAt,
    sections: {},
    legalDocuments: new Map(),
    documents: new Map(),
    verification: undefined,
    writes: { legalDocuments: 0, upsert: 0, trigger: 0, documents: 0 },
    bodyHashes: { legalDocuments: new Set(), upsert: new Set(), trigger: new Set(), documents: new Set() },
  };
}

export function recordWrite(user: StoredUser, endpoint: WriteEndpoint, bodySha256: string): void {
  user.writes[endpoint]++;
  user.bodyHashes[endpoint].add(bodySha256);
}

/** The operator's view of a user (admin API only: it contains the stored personal data). */
export interface UserView {
  locator: string;
  userId: string;
  createdAt: string;
  sections: UserUpsertRequest;
  legalDocuments: StoredLegalDocument[];
  documents: {
    id: string;
    documentType: string;
    createdAt: string;
    expiresAt?: string;
    dataSha256: string;
  }[];
  documentTypes: string[];
  verification: { triggeredAt: string; polls: number } | null;
  writes: Record<WriteEndpoint, number>;
  bodyHashes: Record<WriteEndpoint, string[]>;
}

export function viewOf(user: StoredUser): UserView {
  const documents = [...user.documents.values()].map(({ userLocator: _, ...doc }) => ({ ...doc }));
  return {
    locator: user.locator,
    userId: user.userId,
    createdAt: user.createdAt,
    sections: structuredClone(user.sections),
    legalDocuments: [...user.legalDocuments.values()].map((d) => ({ ...d })),
    documents,
    documentTypes: documents.map((d) => d.documentType),
    verification:
      user.verification === undefined
        ? null
        : {
            triggeredAt: new Date(user.verification.triggeredAt).toISOString(),
            polls: user.verification.polls,
          },
    writes: { ...user.writes },
    bodyHashes: {
      legalDocuments: [...user.bodyHashes.legalDocuments],
      upsert: [...user.bodyHashes.upsert],
      trigger: [...user.bodyHashes.trigger],
      documents: [...user.bodyHashes.documents],
    },
  };
}
