import fc from 'fast-check';
import type { z } from 'zod';
import type { OnboardingInput, OnboardingPolicy } from '../machine/context.js';
import type { OnboardingEvent } from '../machine/events.js';
import { onboardingMachine } from '../machine/machine.js';
import { applyEvent, type OnboardingSnapshot, startOnboarding } from '../machine/snapshot.js';
import { toMachineSnapshot } from '../machine/xstate-snapshot.js';
import { CROSSMINT_ERROR_KINDS, type CrossmintError } from '../ports/crossmint-error.js';
import { EU_EEA, US_DUE_DILIGENCE_STATES } from '../requirements.js';
import {
  Address,
  DOCUMENT_TYPES,
  type DocumentType,
  DueDiligence,
  IdentityDocument,
  KNOWN_MISSING_DATA,
  KNOWN_MISSING_DOCUMENTS,
  KycData,
  PRODUCT_TYPES,
  ProductEligibility,
  type ProductType,
  UserDetails,
  VERIFICATION_STATUSES,
  VerificationHistory,
} from '../schemas/api.js';
import { InputRecord, type InputRecordInput, USER_ID } from '../schemas/record.js';

// fast-check arbitraries built from the zod schemas: each section is generated from its schema's
// shape (one arbitrary per key, so a key added to a schema stops this file compiling), which keys
// may be left out is read from the schema itself, and enumerations come from the schema constants.

/** One arbitrary per key of a schema's input: a missing key is a compile error. */
type Shape<T> = { [K in keyof T]-?: fc.Arbitrary<Exclude<T[K], undefined>> };

/** The keys a zod object schema requires (those that refuse `undefined`). */
export function requiredKeysOf(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
    .map(([key]) => key);
}

/** Objects of a schema's shape: required keys always present, optional keys sometimes left out. */
export function fromShape<S extends z.ZodObject>(
  schema: S,
  shape: Shape<z.input<S>>,
): fc.Arbitrary<z.input<S>> {
  return fc.record(shape as Record<string, fc.Arbitrary<unknown>>, {
    requiredKeys: requiredKeysOf(schema),
  }) as unknown as fc.Arbitrary<z.input<S>>;
}

// ---- values -----------------------------------------------------------------------------------

export const US_STATES = ['FL', 'CA', 'WA', 'IL', 'NJ', ...US_DUE_DILIGENCE_STATES, 'ny', 'Tx'] as const;
const EU_COUNTRIES = [...EU_EEA];
const OTHER_COUNTRIES = ['GB', 'CH', 'BR', 'MX', 'AR', 'JP', 'SG', 'AU', 'IN', 'CA', 'ZA'];
export type RegionChoice = 'us' | 'eu' | 'other';

const countryIn = (region: RegionChoice) =>
  region === 'us'
    ? fc.constant('US')
    : fc.constantFrom(...(region === 'eu' ? EU_COUNTRIES : OTHER_COUNTRIES));
export const countryArb = fc.constantFrom('US', ...EU_COUNTRIES, ...OTHER_COUNTRIES);

/** Names: capitalised words, some with non-ASCII letters, some with spaces the schema trims. */
export const nameArb = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[A-Z][a-z]{2,12}$/) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('Zoë', 'José', 'Łukasz', 'Nguyễn', 'Ólafur', "O'Brien", 'Smith-Jones'),
      },
    ),
    fc.constantFrom('', ' ', '  '),
  )
  .map(([name, pad]) => `${pad}${name}${pad}`);

const dateBetween = (min: string, max: string) =>
  fc.date({ min: new Date(min), max: new Date(max), noInvalidDate: true }).map((d) => d.toISOString());

/** YYYY-MM-DD. */
export const calendarDateArb = (min = '1920-01-01', max = '2008-12-31') =>
  dateBetween(min, max).map((iso) => iso.slice(0, 10));

/** The UTC date-time forms the lenient schema accepts: with or without seconds, fraction and Z. */
export const lenientTimestampArb = fc
  .tuple(dateBetween('2000-01-01', '2030-12-31'), fc.constantFrom(23, 19, 16), fc.boolean())
  .map(([iso, length, z]) => `${iso.slice(0, length)}${z ? 'Z' : ''}`);

export const emailArb = fc
  .tuple(
    fc.stringMatching(/^[a-z][a-z0-9_+-]{0,12}$/),
    fc.option(fc.stringMatching(/^[a-z0-9]{1,8}$/), { nil: undefined }),
    fc.stringMatching(/^[a-z][a-z0-9]{1,10}$/),
    fc.constantFrom('com', 'org', 'io', 'example'),
  )
  .map(([local, dotted, domain, tld]) => `${local}${dotted ? `.${dotted}` : ''}@${domain}.${tld}`);

export const phoneArb = fc.stringMatching(/^\+[1-9]\d{7,13}$/);

const postalCodeArb = fc.oneof(
  fc.stringMatching(/^\d{5}$/),
  fc.stringMatching(/^[A-Z]{1,2}\d{1,2} \d[A-Z]{2}$/),
);

/** A small image as a data URL. */
export const dataUrlArb = fc
  .tuple(
    fc.constantFrom('image/png', 'image/jpeg', 'application/pdf'),
    fc.uint8Array({ minLength: 1, maxLength: 48 }),
  )
  .map(([mime, bytes]) => `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`);

// ---- sections ---------------------------------------------------------------------------------

export const userDetailsArb = (region: RegionChoice) =>
  fromShape(UserDetails, {
    firstName: nameArb,
    lastName: nameArb,
    dateOfBirth: calendarDateArb(),
    countryOfResidence: countryIn(region),
  });

/** Old (`state`) or current (`stateOrRegion`) spelling of the region, or neither. */
export const addressArb = (region: RegionChoice) =>
  fc
    .tuple(
      fromShape(Address.in, {
        line1: fc.stringMatching(/^[1-9]\d{0,3} [A-Z][a-z]{2,10} (St|Ave|Road)$/),
        line2: fc.stringMatching(/^(Apt|Unit|Floor) \d{1,3}$/),
        city: nameArb,
        postalCode: postalCodeArb,
        stateOrRegion: fc.constant('unused'),
        state: fc.constant('unused'),
      }),
      region === 'us' ? fc.constantFrom(...US_STATES) : fc.stringMatching(/^[A-Z][a-z]{3,10}$/),
      fc.constantFrom('stateOrRegion', 'state', 'none'),
    )
    .map(([{ stateOrRegion: _, state: __, ...address }, region, spelling]) =>
      spelling === 'none' ? address : { ...address, [spelling]: region },
    );

export const identityDocumentArb = (region: RegionChoice) =>
  fc.oneof(
    {
      weight: region === 'us' ? 4 : 0,
      arbitrary: fromShape(IdentityDocument, {
        type: fc.constant('ssn'),
        number: fc.stringMatching(/^\d{3}-\d{2}-\d{4}$/),
        issuingCountryCode: fc.constant('US'),
      }),
    },
    {
      weight: 1,
      arbitrary: fromShape(IdentityDocument, {
        type: fc.constantFrom('passport', 'idcard'),
        number: fc.stringMatching(/^[A-Z]{1,2}\d{6,8}$/),
        issuingCountryCode: countryArb,
      }),
    },
  );

export const kycDataArb = (region: RegionChoice) =>
  fromShape(KycData, {
    email: emailArb,
    phoneNumber: phoneArb,
    nationality: countryArb,
    addressOfResidence: addressArb(region),
    identityDocument: identityDocumentArb(region),
  });

/**
 * Due diligence, half of the time without estimatedYearlyIncome: the form non-US residents may
 * send ("optional for non-US residents"), and the one US residents must not.
 */
export const dueDiligenceArb = fc
  .tuple(
    fromShape(DueDiligence, {
      employmentStatus: fc.constantFrom('full-time', 'part-time', 'self-employed', 'unemployed', 'retired'),
      sourceOfFunds: fc.constantFrom('salary-disbursement', 'savings', 'investments', 'inheritance'),
      industry: fc.constantFrom('financial-institution', 'technology', 'retail', 'healthcare'),
      estimatedYearlyIncome: fc.constantFrom('income-0-50k', 'income-50k-100k', 'income-100k-plus'),
    }),
    fc.boolean(),
  )
  .map(([dueDiligence, withoutIncome]) => {
    if (!withoutIncome) return dueDiligence;
    const { estimatedYearlyIncome: _, ...rest } = dueDiligence;
    return rest;
  });

export const verificationHistoryArb = fromShape(VerificationHistory, {
  idVerificationTimestamp: lenientTimestampArb,
  livenessVerificationTimestamp: lenientTimestampArb,
});

const documentSourceArb = fc.record(
  {
    source: fc.oneof(
      fc.stringMatching(/^docs\/[a-z0-9]{4,12}\.(png|jpg|pdf)$/).map((path) => ({ path })),
      dataUrlArb.map((data) => ({ data })),
    ),
    expiresAt: calendarDateArb('2026-01-01', '2040-12-31'),
  },
  { requiredKeys: ['source'] },
);

/** Up to six documents of distinct types, each given by path or by inline data. */
export const documentsArb = fc
  .tuple(
    fc.shuffledSubarray([...DOCUMENT_TYPES], { maxLength: 6 }),
    fc.array(documentSourceArb, { minLength: 6, maxLength: 6 }),
  )
  .map(([types, sources]) =>
    types.map((documentType, i) => {
      const { source, ...rest } = sources[i] ?? { source: { path: 'docs/x.png' } };
      return { documentType, ...rest, ...source } as NonNullable<InputRecordInput['documents']>[number];
    }),
  );

// ---- records ----------------------------------------------------------------------------------

export interface RecordOptions {
  region?: RegionChoice;
  userId?: fc.Arbitrary<string>;
}

/**
 * A valid record as a platform may write it (older spellings, missing Z, padded names), across
 * regions, with and without each optional section and with 0-6 documents.
 */
export function recordInputArb(options: RecordOptions = {}): fc.Arbitrary<InputRecordInput> {
  // Arbitraries are built once per region here, not inside a chain: building them is the slow part.
  const inRegion = (region: RegionChoice) =>
    fromShape(InputRecord, {
      userId: options.userId ?? fc.stringMatching(USER_ID),
      privacyPolicyAcceptedAt: lenientTimestampArb,
      userDetails: userDetailsArb(region),
      kycData: kycDataArb(region),
      dueDiligence: dueDiligenceArb,
      verificationHistory: verificationHistoryArb,
      documents: documentsArb,
    });
  const regions: RegionChoice[] = options.region ? [options.region] : ['us', 'eu', 'other'];
  return fc.oneof(...regions.map(inRegion));
}

/** Valid records, parsed (current spellings). */
export const recordArb = (options: RecordOptions = {}) =>
  recordInputArb(options).map((input) => InputRecord.parse(input));

// ---- records with one mistake -------------------------------------------------------------------

export interface Mistake {
  /** Where the bad value goes. */
  path: readonly string[];
  value: unknown;
  /** The field an issue must name. */
  field: string;
}

export const MISTAKES: readonly Mistake[] = [
  { path: ['userId'], value: 'has a space', field: 'userId' },
  { path: ['userId'], value: '', field: 'userId' },
  { path: ['userId'], value: 'u'.repeat(129), field: 'userId' },
  { path: ['userId'], value: undefined, field: 'userId' },
  { path: ['privacyPolicyAcceptedAt'], value: '2026-02-30T00:00:00Z', field: 'privacyPolicyAcceptedAt' },
  { path: ['privacyPolicyAcceptedAt'], value: '01/01/2026', field: 'privacyPolicyAcceptedAt' },
  { path: ['userDetails', 'dateOfBirth'], value: '2026-02-30', field: 'userDetails.dateOfBirth' },
  { path: ['userDetails', 'countryOfResidence'], value: 'usa', field: 'userDetails.countryOfResidence' },
  { path: ['userDetails', 'firstName'], value: 'A'.repeat(101), field: 'userDetails.firstName' },
  { path: ['userDetails', 'lastName'], value: '   ', field: 'userDetails.lastName' },
  { path: ['kycData', 'email'], value: 'not-an-email', field: 'kycData.email' },
  { path: ['kycData', 'phoneNumber'], value: '555-0100', field: 'kycData.phoneNumber' },
  { path: ['kycData', 'nationality'], value: 'Germany', field: 'kycData.nationality' },
  { path: ['kycData', 'identityDocument'], value: 'ssn', field: 'kycData.identityDocument' },
  {
    path: ['verificationHistory', 'idVerificationTimestamp'],
    value: 'yesterday',
    field: 'verificationHistory.idVerificationTimestamp',
  },
  { path: ['dueDiligence', 'industry'], value: 'x'.repeat(101), field: 'dueDiligence.industry' },
  {
    path: ['documents'],
    value: [{ documentType: 'id-driving-licence', path: 'a.png' }],
    field: 'documents.0.documentType',
  },
  { path: ['documents'], value: [{ documentType: 'id-passport' }], field: 'documents.0.path' },
  {
    path: ['documents'],
    value: [{ documentType: 'selfie-front', path: 'a.png', data: 'data:image/png;base64,AA==' }],
    field: 'documents.0.path',
  },
  { path: ['documents'], value: 'passport.png', field: 'documents' },
];

function withValueAt(
  record: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) return record;
  const inner = record[head];
  const next =
    rest.length === 0
      ? value
      : withValueAt(typeof inner === 'object' && inner !== null ? { ...(inner as object) } : {}, rest, value);
  return { ...record, [head]: next };
}

/** A valid record with one mistake put in, and the mistake. */
export const brokenRecordArb = fc
  .tuple(recordInputArb(), fc.constantFrom(...MISTAKES))
  .map(([record, mistake]) => ({
    input: withValueAt(record as Record<string, unknown>, mistake.path, mistake.value),
    mistake,
  }));

// ---- machine inputs and events ------------------------------------------------------------------

export const policyArb: fc.Arbitrary<Partial<OnboardingPolicy>> = fc.record(
  {
    maxAttempts: fc.integer({ min: 1, max: 10 }),
    baseDelayMs: fc.integer({ min: 1, max: 10_000 }),
    maxDelayMs: fc.integer({ min: 1, max: 600_000 }),
    maxThrottled: fc.integer({ min: 1, max: 40 }),
    maxRetryAfterMs: fc.integer({ min: 0, max: 1_000_000 }),
    pollInitialMs: fc.integer({ min: 1, max: 60_000 }),
    pollMaxMs: fc.integer({ min: 1, max: 600_000 }),
    maxPolicyRounds: fc.integer({ min: 0, max: 3 }),
    verificationDeadlineMs: fc.integer({ min: 0, max: 1_000_000_000 }),
  },
  { requiredKeys: [] },
);

export const documentTypesArb = fc.shuffledSubarray<DocumentType>([...DOCUMENT_TYPES], { maxLength: 4 });
export const targetsArb = fc.shuffledSubarray<ProductType>([...PRODUCT_TYPES], {
  minLength: 1,
  maxLength: 2,
});

export const onboardingInputArb = (userId: fc.Arbitrary<string> = fc.stringMatching(USER_ID)) =>
  fc
    .record(
      {
        userId,
        seed: fc.integer(),
        now: fc.integer({ min: 0, max: 2_000_000_000_000 }),
        targets: targetsArb,
        documentTypes: documentTypesArb,
        policy: policyArb,
      },
      { requiredKeys: ['userId', 'seed', 'now'] },
    )
    .map((input) => input as OnboardingInput);

/**
 * Eligibility lists as the machine gets them: each known product, each status, open missing lists
 * (the client drops the products it does not know before the machine sees them).
 */
export const eligibilityArb = fc.uniqueArray(
  fromShape(ProductEligibility, {
    type: fc.constantFrom(...PRODUCT_TYPES),
    status: fc.constantFrom(...VERIFICATION_STATUSES),
    missingData: fc.subarray([...KNOWN_MISSING_DATA, 'tax-residency']),
    missingDocuments: fc.subarray([...KNOWN_MISSING_DOCUMENTS, 'utility-bill']),
  }),
  { selector: (entry) => entry.type, maxLength: 5 },
) as fc.Arbitrary<z.infer<typeof ProductEligibility>[]>;

const RETRYABLE_KINDS = ['rate-limited', 'transient', 'unexpected-response'] as const;

export const crossmintErrorArb: fc.Arbitrary<OnboardingEvent & { type: 'STEP_FAILED' }> = fc
  .tuple(
    // Retryable kinds more often, so runs get past a first error; every kind is produced.
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...RETRYABLE_KINDS) },
      { weight: 1, arbitrary: fc.constantFrom(...CROSSMINT_ERROR_KINDS) },
    ),
    fc.constantFrom('call failed', 'http 503 from crossmint', 'timed out after 10000 ms'),
    fc.option(fc.integer({ min: 0, max: 2_000_000 }), { nil: undefined }),
  )
  .map(([kind, message, retryAfterMs]) => {
    const error: { kind: CrossmintError['kind']; message: string; retryAfterMs?: number } = { kind, message };
    if (kind === 'rate-limited' && retryAfterMs !== undefined) error.retryAfterMs = retryAfterMs;
    return { type: 'STEP_FAILED' as const, now: 0, error };
  });

/** One event of every type, each with a generated payload (`now` is set when the event is sent). */
export const everyEventArb: fc.Arbitrary<OnboardingEvent[]> = fc.tuple(
  fc.constant<OnboardingEvent>({ type: 'POLICY_RECORDED', now: 0 }),
  fc.boolean().map<OnboardingEvent>((created) => ({ type: 'USER_UPSERTED', now: 0, created })),
  fc
    .constantFrom(...DOCUMENT_TYPES)
    .map<OnboardingEvent>((documentType) => ({ type: 'DOCUMENT_UPLOADED', now: 0, documentType })),
  eligibilityArb.map<OnboardingEvent>((eligibility) => ({
    type: 'VERIFICATION_STATUS',
    now: 0,
    eligibility,
  })),
  crossmintErrorArb,
  fc.constant<OnboardingEvent>({ type: 'DUE', now: 0 }),
  documentTypesArb.map<OnboardingEvent>((documentTypes) => ({
    type: 'DATA_SUPPLIED',
    now: 0,
    documentTypes,
  })),
  fc.constant<OnboardingEvent>({ type: 'RETRY', now: 0 }),
);

/** Any single event, of any type. */
export const eventArb: fc.Arbitrary<OnboardingEvent> = fc
  .tuple(everyEventArb, fc.nat())
  .map(([events, pick]) => events[pick % events.length] as OnboardingEvent);

/**
 * One step of a run: a candidate of every event type, how much time passes, which candidate to
 * send, and whether to pick only among the events the current state accepts (guided) or among
 * all of them (blind). Blind steps test that ignored events are harmless; guided steps get deep.
 */
export interface RunStep {
  candidates: OnboardingEvent[];
  delta: number;
  pick: number;
  guided: boolean;
}

export const runStepsArb = (maxLength = 50): fc.Arbitrary<RunStep[]> =>
  fc.array(
    fc.record({
      candidates: everyEventArb,
      delta: fc.oneof(fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: 0, max: 8 * 24 * 3_600_000 })),
      pick: fc.nat(),
      guided: fc.integer({ min: 0, max: 5 }).map((n) => n > 0),
    }),
    { maxLength },
  );

/** The event a step sends from `snapshot` at `now`. */
export function eventOf(snapshot: OnboardingSnapshot, step: RunStep, now: number): OnboardingEvent {
  const accepted = step.guided
    ? step.candidates.filter(
        (e) => onboardingMachine.getTransitionData(toMachineSnapshot(snapshot), { ...e, now }).length > 0,
      )
    : [];
  const from = accepted.length > 0 ? accepted : step.candidates;
  return { ...(from[step.pick % from.length] as OnboardingEvent), now };
}

/** Runs `steps` from `startOnboarding(input)`, calling `check` after every event; returns the events sent. */
export function drive(
  input: OnboardingInput,
  steps: readonly RunStep[],
  check: (after: OnboardingSnapshot, event: OnboardingEvent, before: OnboardingSnapshot) => void = () => {},
): { snapshot: OnboardingSnapshot; events: OnboardingEvent[] } {
  let snapshot = startOnboarding(input);
  let now = input.now;
  const events: OnboardingEvent[] = [];
  for (const step of steps) {
    now += step.delta;
    const event = eventOf(snapshot, step, now);
    const before = snapshot;
    snapshot = applyEvent(snapshot, event);
    events.push(event);
    check(snapshot, event, before);
  }
  return { snapshot, events };
}
