import { sampleEuRecord, TINY_PNG_DATA_URL } from '@kyc-handoff/core/testing';
import { describe, expect, it } from 'vitest';
import { API, alice, PNG, policy, start } from './helpers.js';

const history = alice.verificationHistory;
const dueDiligence = {
  employmentStatus: 'full-time',
  sourceOfFunds: 'salary-disbursement',
  estimatedYearlyIncome: 'income-50k-100k',
};

function resident(country: string, extra: Record<string, unknown> = {}) {
  return {
    userDetails: { ...alice.userDetails, countryOfResidence: country },
    kycData: {
      email: 'someone@example.com',
      addressOfResidence: { line1: '1 Main St', city: 'Town', postalCode: '12345' },
      identityDocument: { type: 'passport', number: 'X1234567', issuingCountryCode: country },
    },
    dueDiligence,
    verificationHistory: history,
    ...extra,
  };
}

/** Legal docs, upsert, documents, trigger: returns each product's eligibility entry. */
async function outcome(body: unknown, documents: string[] = []) {
  const { call } = await start();
  const id = 'userId:req';
  await call('PUT', `${API}/users/${id}/legal-documents`, policy);
  await call('PUT', `${API}/users/${id}`, body);
  for (const documentType of documents) {
    await call('POST', `${API}/documents`, { reference: { userLocator: id }, documentType, data: PNG });
  }
  const res = await call('PUT', `${API}/users/${id}/identity-verification`);
  const by = (type: string) => {
    const { type: _, ...rest } = res.body.eligibility.find((e: { type: string }) => e.type === type);
    return rest;
  };
  return { offramp: by('offramp'), onramp: by('onramp'), regulated: by('regulated-transfer') };
}

describe('the region table, row by row', () => {
  it('US with SSN needs no documents and no due diligence outside the listed states', async () => {
    expect((await outcome(alice)).offramp).toEqual({ status: 'pending-review' });
  });

  it('US without SSN is missing kyc-data', async () => {
    const noSsn = {
      ...alice,
      kycData: {
        ...alice.kycData,
        identityDocument: { type: 'passport', number: 'P1', issuingCountryCode: 'US' },
      },
    };
    expect((await outcome(noSsn)).offramp).toEqual({ status: 'requires-data', missingData: ['kyc-data'] });
  });

  it('US resident of TX without due diligence is missing due-diligence', async () => {
    const tx = {
      ...alice,
      kycData: {
        ...alice.kycData,
        addressOfResidence: { ...alice.kycData.addressOfResidence, stateOrRegion: 'TX' },
      },
    };
    expect((await outcome(tx)).offramp).toEqual({ status: 'requires-data', missingData: ['due-diligence'] });
    expect((await outcome({ ...tx, dueDiligence })).offramp).toEqual({ status: 'pending-review' });
  });

  it('EU with passport and selfie is complete', async () => {
    expect((await outcome(resident('DE'), ['id-passport', 'selfie-front'])).offramp).toEqual({
      status: 'pending-review',
    });
  });

  it('EU with ID card front and back plus selfie is complete, front alone is not', async () => {
    const both = await outcome(resident('FR'), ['id-idcard-front', 'id-idcard-back', 'selfie-front']);
    expect(both.offramp).toEqual({ status: 'pending-review' });
    const front = await outcome(resident('FR'), ['id-idcard-front', 'selfie-front']);
    expect(front.offramp).toEqual({ status: 'requires-data', missingDocuments: ['id'] });
  });

  it('EU without a selfie is missing selfie; with nothing uploaded, id and selfie', async () => {
    expect((await outcome(resident('IT'), ['id-passport'])).offramp).toEqual({
      status: 'requires-data',
      missingDocuments: ['selfie'],
    });
    expect((await outcome(resident('IT'))).onramp).toEqual({
      status: 'requires-data',
      missingDocuments: ['id', 'selfie'],
    });
  });

  it('EU without due diligence is missing due-diligence', async () => {
    const { dueDiligence: _, ...noDd } = resident('NL');
    expect((await outcome(noDd, ['id-passport', 'selfie-front'])).offramp).toEqual({
      status: 'requires-data',
      missingData: ['due-diligence'],
    });
  });

  it('a Spanish resident may use a residency permit; another EU resident may not', async () => {
    expect((await outcome(resident('ES'), ['id-residency-permit', 'selfie-front'])).offramp).toEqual({
      status: 'pending-review',
    });
    expect((await outcome(resident('PT'), ['id-residency-permit', 'selfie-front'])).offramp).toEqual({
      status: 'requires-data',
      missingDocuments: ['id'],
    });
  });

  it('UK and LATAM accept a passport only', async () => {
    expect((await outcome(resident('GB'), ['id-passport', 'selfie-front'])).offramp).toEqual({
      status: 'pending-review',
    });
    expect(
      (await outcome(resident('BR'), ['id-idcard-front', 'id-idcard-back', 'selfie-front'])).offramp,
    ).toEqual({
      status: 'requires-data',
      missingDocuments: ['id'],
    });
  });

  it('regulated-transfer needs only userDetails', async () => {
    const result = await outcome({ userDetails: resident('BR').userDetails });
    expect(result.regulated).toEqual({ status: 'pending-review' });
    expect(result.offramp).toEqual({
      status: 'requires-data',
      missingData: ['kyc-data', 'due-diligence', 'verification-history'],
      missingDocuments: ['id', 'selfie'],
    });
    const nothing = await outcome({});
    expect(nothing.regulated).toEqual({ status: 'requires-data', missingData: ['user-details'] });
  });
});

// "estimatedYearlyIncome ... is required for US residents, although it is optional for non-US
// residents": due diligence of employmentStatus, sourceOfFunds and industry alone.
const withoutIncome = {
  employmentStatus: 'full-time',
  sourceOfFunds: 'salary-disbursement',
  industry: 'technology',
};

/** The whole documented flow over HTTP: offramp's status after the trigger and after one poll. */
async function onboardOverHttp(body: unknown, documents: string[]) {
  const { call } = await start();
  const id = 'userId:flow';
  expect((await call('PUT', `${API}/users/${id}/legal-documents`, policy)).status).toBe(200);
  expect((await call('PUT', `${API}/users/${id}`, body)).status).toBe(201);
  for (const documentType of documents) {
    const upload = await call('POST', `${API}/documents`, {
      reference: { userLocator: id },
      documentType,
      data: TINY_PNG_DATA_URL,
    });
    expect(upload.status).toBe(201);
  }
  const triggered = await call('PUT', `${API}/users/${id}/identity-verification`);
  const polled = await call('GET', `${API}/users/${id}/identity-verification`);
  const offramp = (r: { body: { eligibility: { type: string }[] } }) => {
    const { type: _, ...rest } = r.body.eligibility.find((e) => e.type === 'offramp') ?? {};
    return rest;
  };
  return { triggered: offramp(triggered), polled: offramp(polled) };
}

describe('due diligence without estimatedYearlyIncome', () => {
  it('an EU resident with ID card front and back, selfie and due diligence without income is verified', async () => {
    const { userId: _, privacyPolicyAcceptedAt: __, documents, ...sections } = sampleEuRecord();
    expect(sections.dueDiligence).not.toHaveProperty('estimatedYearlyIncome');
    const result = await onboardOverHttp(
      sections,
      (documents ?? []).map((d) => d.documentType),
    );
    expect(result).toEqual({ triggered: { status: 'pending-review' }, polled: { status: 'verified' } });
  });

  it.each(['GB', 'MX'])(
    'a resident of %s with passport, selfie and due diligence without income is verified',
    async (country) => {
      const result = await onboardOverHttp(resident(country, { dueDiligence: withoutIncome }), [
        'id-passport',
        'selfie-front',
      ]);
      expect(result).toEqual({ triggered: { status: 'pending-review' }, polled: { status: 'verified' } });
    },
  );

  it('a US resident of TX whose due diligence lacks income still gets requires-data due-diligence', async () => {
    const texan = {
      ...alice,
      kycData: {
        ...alice.kycData,
        addressOfResidence: { ...alice.kycData.addressOfResidence, stateOrRegion: 'TX' },
      },
      dueDiligence: withoutIncome,
    };
    const result = await onboardOverHttp(texan, []);
    expect(result.polled).toEqual({ status: 'requires-data', missingData: ['due-diligence'] });
  });
});
