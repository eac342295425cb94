import { createHash } from 'node:crypto';
import {
  API_VERSION,
  DocumentUploadRequestLenient,
  LegalDocumentRequest,
  LegalDocumentRequestLenient,
  UserUpsertRequest,
} from '@kyc-handoff/core';
import { LOCATOR_MESSAGE, type ParsedLocator, parseLocator } from './locator.js';
import type { SandboxConfig } from './options.js';
import { randomHex } from './random.js';
import { error, invalidBody, json, type Reply } from './reply.js';
import { newUser, type Project, recordWrite, type StoredDocument, type StoredUser } from './state.js';
import { eligibility, trigger } from './verification.js';

export const API_PREFIX = `/api/${API_VERSION}/`;

export type Endpoint =
  | 'legalDocuments'
  | 'upsert'
  | 'getUser'
  | 'trigger'
  | 'readVerification'
  | 'uploadDocument'
  | 'getDocument';

export interface RouteMatch {
  /** Path pattern for stats, e.g. `/users/{locator}`. */
  pattern: string;
  methods: Partial<Record<string, Endpoint>>;
  /** Raw path segment of the locator or document id. */
  param?: string;
}

/** Hand-rolled matching: five shapes do not need a router, and this stays cheap per request. */
export function matchRoute(path: string): RouteMatch | undefined {
  if (!path.startsWith(API_PREFIX)) return undefined;
  const parts = path.slice(API_PREFIX.length).split('/');
  const [first, param, sub] = parts;
  if (first === 'users' && param !== undefined && param !== '') {
    if (parts.length === 2) {
      return { pattern: '/users/{locator}', methods: { GET: 'getUser', PUT: 'upsert' }, param };
    }
    if (parts.length === 3 && sub === 'legal-documents') {
      return { pattern: '/users/{locator}/legal-documents', methods: { PUT: 'legalDocuments' }, param };
    }
    if (parts.length === 3 && sub === 'identity-verification') {
      return {
        pattern: '/users/{locator}/identity-verification',
        methods: { PUT: 'trigger', GET: 'readVerification' },
        param,
      };
    }
    return undefined;
  }
  if (first === 'documents') {
    if (parts.length === 1) return { pattern: '/documents', methods: { POST: 'uploadDocument' } };
    if (parts.length === 2 && param !== undefined && param !== '') {
      return { pattern: '/documents/{id}', methods: { GET: 'getDocument' }, param };
    }
  }
  return undefined;
}

export interface RouteContext {
  project: Project;
  config: SandboxConfig;
  now: number;
  random: () => number;
  rawBody: Buffer;
  param: string | undefined;
}

export const WRITE_ENDPOINT_OF = {
  legalDocuments: 'legalDocuments',
  upsert: 'upsert',
  trigger: 'trigger',
  uploadDocument: 'documents',
} as const;

const NEEDS_BODY: ReadonlySet<Endpoint> = new Set(['legalDocuments', 'upsert', 'uploadDocument']);

export function runEndpoint(endpoint: Endpoint, ctx: RouteContext): Reply {
  let body: unknown;
  if (NEEDS_BODY.has(endpoint)) {
    try {
      body = JSON.parse(ctx.rawBody.toString('utf8'));
    } catch {
      return error(400, 'body must be valid JSON');
    }
  }
  switch (endpoint) {
    case 'legalDocuments':
      return withLocator(ctx, (locator) => legalDocuments(ctx, locator, body));
    case 'upsert':
      return withLocator(ctx, (locator) => upsert(ctx, locator, body));
    case 'getUser':
      return withUser(ctx, (user) => json(200, userResponse(user)));
    case 'trigger':
      return withUser(ctx, (user) => {
        trigger(user, ctx.now);
        recordWrite(user, 'trigger', sha256(ctx.rawBody));
        return json(200, { eligibility: eligibility(user, ctx.now, ctx.config, false) });
      });
    case 'readVerification':
      return withUser(ctx, (user) =>
        json(200, { eligibility: eligibility(user, ctx.now, ctx.config, true) }),
      );
    case 'uploadDocument':
      return uploadDocument(ctx, body);
    case 'getDocument': {
      const doc = ctx.project.documents.get(ctx.param ?? '');
      return doc === undefined ? error(404, 'document not found') : json(200, documentResponse(doc));
    }
  }
}

function withLocator(ctx: RouteContext, then: (locator: ParsedLocator & { ok: true }) => Reply): Reply {
  const locator = parseLocator(ctx.param ?? '');
  return locator.ok ? then(locator) : error(400, LOCATOR_MESSAGE);
}

function withUser(ctx: RouteContext, then: (user: StoredUser) => Reply): Reply {
  return withLocator(ctx, (locator) => {
    const user = ctx.project.users.get(locator.locator);
    return user === undefined ? error(404, 'user not found') : then(user);
  });
}

function findOrCreate(ctx: RouteContext, locator: ParsedLocator & { ok: true }): [StoredUser, boolean] {
  const existing = ctx.project.users.get(locator.locator);
  if (existing !== undefined) return [existing, false];
  // Crossmint answers with its own id for non-userId locators; the sandbox mints a repeatable one.
  const userId = locator.kind === 'userId' ? locator.value : `usr_${randomHex(ctx.random, 20)}`;
  const user = newUser(locator.locator, userId, new Date(ctx.now).toISOString());
  ctx.project.users.set(locator.locator, user);
  return [user, true];
}

function legalDocuments(ctx: RouteContext, locator: ParsedLocator & { ok: true }, body: unknown): Reply {
  const schema = ctx.config.strict ? LegalDocumentRequest : LegalDocumentRequestLenient;
  const parsed = schema.safeParse(body);
  if (!parsed.success) return invalidBody(parsed.error);
  const [user] = findOrCreate(ctx, locator);
  const { type, acceptedAt, region } = parsed.data;
  user.legalDocuments.set(type, region === undefined ? { type, acceptedAt } : { type, acceptedAt, region });
  recordWrite(user, 'legalDocuments', sha256(ctx.rawBody));
  // The documented response echoes the value as sent (the lenient form is stored normalised).
  return json(200, { acceptedAt: (body as { acceptedAt: string }).acceptedAt });
}

function upsert(ctx: RouteContext, locator: ParsedLocator & { ok: true }, body: unknown): Reply {
  const parsed = UserUpsertRequest.safeParse(body);
  if (!parsed.success) return invalidBody(parsed.error);
  const [user] = findOrCreate(ctx, locator);
  // The guide calls the first upsert "create the user" although legal-documents already made the
  // record exist, so 201 means "first KYC data for this user" and 200 every replacement after it.
  const created = user.writes.upsert === 0;
  // Not additive: the upsert replaces every section, as Crossmint's does.
  user.sections = parsed.data;
  recordWrite(user, 'upsert', sha256(ctx.rawBody));
  return json(created ? 201 : 200, userResponse(user));
}

function uploadDocument(ctx: RouteContext, body: unknown): Reply {
  const parsed = DocumentUploadRequestLenient.safeParse(body);
  if (!parsed.success) return invalidBody(parsed.error);
  const locator = parseLocator(parsed.data.reference.userLocator);
  if (!locator.ok) return error(400, `reference.userLocator: ${LOCATOR_MESSAGE}`);
  const user = ctx.project.users.get(locator.locator);
  if (user === undefined) return error(404, 'user not found');
  const { documentType, data, expiresAt } = parsed.data;
  const previous = user.documents.get(documentType);
  if (previous !== undefined) ctx.project.documents.delete(previous.id);
  const doc: StoredDocument = {
    id: `doc_${randomHex(ctx.random, 24)}`,
    documentType,
    createdAt: new Date(ctx.now).toISOString(),
    dataSha256: sha256(data),
    userLocator: user.locator,
  };
  if (expiresAt !== undefined) doc.expiresAt = expiresAt;
  user.documents.set(documentType, doc);
  ctx.project.documents.set(doc.id, doc);
  recordWrite(user, 'documents', sha256(ctx.rawBody));
  return json(201, documentResponse(doc));
}

/** Booleans only: the users API never gives stored personal data back. */
export function userResponse(user: StoredUser) {
  const s = user.sections;
  return {
    userId: user.userId,
    userDetails: s.userDetails !== undefined,
    kycData: s.kycData !== undefined,
    dueDiligence: s.dueDiligence !== undefined,
    verificationHistory: s.verificationHistory !== undefined,
    legalDocuments: [...user.legalDocuments.values()].map(({ type, acceptedAt }) => ({
      type,
      acceptedAt,
      isValidVersion: true,
    })),
  };
}

function documentResponse(doc: StoredDocument) {
  const { id, documentType, createdAt, expiresAt } = doc;
  return expiresAt === undefined
    ? { id, documentType, createdAt }
    : { id, documentType, createdAt, expiresAt };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
