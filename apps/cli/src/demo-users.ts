/**
 * Realistic, deterministic sample users for `kyc-handoff demo`: US residents with an SSN (some in
 * states that need due diligence), EU residents with passport or ID card front + back, and a
 * selfie, UK and LATAM residents with passport + selfie, all non-US ones with due diligence (mostly
 * without estimatedYearlyIncome, which only US residents must give), the sandbox's magic last
 * names, and a few records that are invalid or locally incomplete so the per-record reports show.
 * All data is fictitious.
 */

/** A 1×1 PNG: the documents the demo uploads are tiny inline data URLs. */
export const TINY_PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

export type DemoKind = 'normal' | 'rejected' | 'pending' | 'incomplete' | 'invalid' | 'locally-incomplete';

export interface DemoUser {
  kind: DemoKind;
  record: Record<string, unknown>;
  /** Personal values that must never appear in any output (the tests scan for them). */
  secrets: string[];
}

function rng(seed: number) {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), t | 1);
    r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
    return ((r ^ (r >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const FIRST = [
  'Ana',
  'Ben',
  'Chloé',
  'Dmitri',
  'Elif',
  'Farah',
  'Gustavo',
  'Hana',
  'Ines',
  'Jonas',
  'Kofi',
  'Lena',
  'Mateo',
  'Noor',
  'Oskar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sven',
  'Tomás',
];
const LAST = [
  'García',
  'Müller',
  'Smith',
  'Rossi',
  'Dubois',
  'Silva',
  'Nowak',
  'Jensen',
  'Okafor',
  'Tanaka',
  'López',
  'Schmidt',
  'Martin',
  'Costa',
  'Byrne',
];
const US = [
  { state: 'FL', city: 'Miami', postal: '33156' },
  { state: 'CA', city: 'Oakland', postal: '94607' },
  { state: 'TX', city: 'Austin', postal: '73301' },
  { state: 'NY', city: 'Brooklyn', postal: '11201' },
  { state: 'IL', city: 'Chicago', postal: '60601' },
  { state: 'WA', city: 'Seattle', postal: '98101' },
];
const EU = [
  { country: 'DE', city: 'Berlin', postal: '10115', phone: '+4930' },
  { country: 'FR', city: 'Lyon', postal: '69001', phone: '+3347' },
  { country: 'ES', city: 'Valencia', postal: '46001', phone: '+3496' },
  { country: 'IT', city: 'Torino', postal: '10121', phone: '+3901' },
  { country: 'NL', city: 'Utrecht', postal: '3511', phone: '+3130' },
];
const OTHER = [
  { country: 'GB', city: 'Leeds', postal: 'LS1 4AP', phone: '+44113' },
  { country: 'MX', city: 'Guadalajara', postal: '44100', phone: '+5233' },
  { country: 'BR', city: 'Curitiba', postal: '80010-000', phone: '+5541' },
  { country: 'CO', city: 'Medellín', postal: '050001', phone: '+574' },
  { country: 'AR', city: 'Rosario', postal: 'S2000', phone: '+54341' },
];
const DUE_DILIGENCE_WITHOUT_INCOME = {
  employmentStatus: 'full-time',
  sourceOfFunds: 'salary-disbursement',
  industry: 'financial-institution',
};
const DUE_DILIGENCE = { ...DUE_DILIGENCE_WITHOUT_INCOME, estimatedYearlyIncome: 'income-50k-100k' };
const HISTORY = {
  idVerificationTimestamp: '2025-11-02T10:15:00.000Z',
  livenessVerificationTimestamp: '2025-11-02T10:16:30.000Z',
};

function kindOf(i: number): DemoKind {
  if (i % 50 === 7) return 'invalid';
  if (i % 50 === 23) return 'locally-incomplete';
  if (i % 13 === 5) return 'rejected';
  if (i % 17 === 9) return 'pending';
  if (i % 11 === 3) return 'incomplete';
  return 'normal';
}

/** `count` sample users; the same count always gives the same users. */
export function demoUsers(count: number, seed = 20_260_101): DemoUser[] {
  const random = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const users: DemoUser[] = [];
  for (let i = 0; i < count; i++) {
    const kind = kindOf(i);
    const userId = `demo-${String(i + 1).padStart(5, '0')}`;
    const firstName = pick(FIRST);
    const magic = { rejected: 'Rejected', pending: 'Pending', incomplete: 'Incomplete' } as Record<
      string,
      string
    >;
    const lastName = magic[kind] ?? pick(LAST);
    const email = `${userId}.${digits(4)}@example.com`;
    const dateOfBirth = `19${60 + Math.floor(random() * 40)}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}`;
    const acceptedAt = `2025-10-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}T09:30:00.000Z`;
    // Incomplete users are US residents: no documents in the record, so Crossmint asks for one.
    const roll = random();
    const region = kind === 'incomplete' ? 'us' : roll < 0.45 ? 'us' : roll < 0.75 ? 'eu' : 'other';
    const secrets = [email];
    let record: Record<string, unknown>;
    if (region === 'us') {
      const place = pick(US);
      const ssn = `${500 + Math.floor(random() * 399)}-${digits(2)}-${digits(4)}`;
      secrets.push(ssn);
      record = {
        userId,
        privacyPolicyAcceptedAt: acceptedAt,
        userDetails: { firstName, lastName, dateOfBirth, countryOfResidence: 'US' },
        kycData: {
          email,
          phoneNumber: `+1305555${digits(4)}`,
          nationality: 'US',
          addressOfResidence: {
            line1: `${1 + Math.floor(random() * 900)} Main St`,
            city: place.city,
            postalCode: place.postal,
            stateOrRegion: place.state,
          },
          identityDocument: { type: 'ssn', number: ssn, issuingCountryCode: 'US' },
        },
        ...(place.state === 'TX' || place.state === 'NY' ? { dueDiligence: DUE_DILIGENCE } : {}),
        verificationHistory: HISTORY,
      };
    } else {
      const place = region === 'eu' ? pick(EU) : pick(OTHER);
      // Picked by index rather than drawn, so no other field depends on which document a user has.
      const idCard = region === 'eu' && i % 2 === 0;
      const number = `${idCard ? 'C' : 'P'}${digits(8)}`;
      secrets.push(number);
      record = {
        userId,
        privacyPolicyAcceptedAt: acceptedAt,
        userDetails: { firstName, lastName, dateOfBirth, countryOfResidence: place.country },
        kycData: {
          email,
          phoneNumber: `${place.phone}${digits(6)}`,
          nationality: place.country,
          addressOfResidence: {
            line1: `Calle ${1 + Math.floor(random() * 90)}`,
            city: place.city,
            postalCode: place.postal,
          },
          identityDocument: {
            type: idCard ? 'idcard' : 'passport',
            number,
            issuingCountryCode: place.country,
          },
        },
        dueDiligence: i % 3 === 0 ? DUE_DILIGENCE : DUE_DILIGENCE_WITHOUT_INCOME,
        verificationHistory: HISTORY,
        documents: idCard
          ? [
              { documentType: 'id-idcard-front', data: TINY_PNG, expiresAt: '2031-06-30' },
              { documentType: 'id-idcard-back', data: TINY_PNG, expiresAt: '2031-06-30' },
              { documentType: 'selfie-front', data: TINY_PNG },
            ]
          : [
              { documentType: 'id-passport', data: TINY_PNG, expiresAt: '2031-06-30' },
              { documentType: 'selfie-front', data: TINY_PNG },
            ],
      };
    }
    if (kind === 'invalid') {
      // A malformed email: refused locally with the field named, the value never echoed.
      (record.kycData as Record<string, unknown>).email = `not-an-email-${digits(3)}`;
    }
    if (kind === 'locally-incomplete') {
      // An EU resident whose record lacks the selfie (and due diligence): reported before any call.
      record.userDetails = { firstName, lastName, dateOfBirth, countryOfResidence: 'DE' };
      record.documents = [{ documentType: 'id-passport', data: TINY_PNG }];
      delete record.dueDiligence;
    }
    users.push({ kind, record, secrets });
  }
  return users;
}
