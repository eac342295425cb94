// A CrossmintPort that answers every call with the sandbox's answer for one captured user, after one
// turn of the event loop: the engine's own work per user without any HTTP, to separate what the
// engine costs from what the network costs.
import { type CrossmintPort, legalDocumentBody, upsertBody, userLocator } from '@kyc-handoff/core';
import type { CrossmintClient } from '@kyc-handoff/crossmint-http';
import { ResultAsync } from 'neverthrow';
import { benchRecord } from '../lib/records.js';

export async function replayPort(client: CrossmintClient, prefix: string): Promise<CrossmintPort> {
  const record = benchRecord(`${prefix}-capture`, 0);
  const locator = userLocator(record.userId);
  const capture = async <T>(call: ResultAsync<T, unknown>): Promise<T> => {
    const result = await call;
    if (result.isErr()) throw new Error(`capturing the sandbox's answers failed: ${String(result.error)}`);
    return result.value;
  };
  const legal = await capture(client.recordLegalDocument(locator, legalDocumentBody(record)));
  const upsert = await capture(client.upsertUser(locator, upsertBody(record)));
  const triggered = await capture(client.triggerVerification(locator));
  const verification = await capture(client.getVerification(locator));
  const later = <T>(value: T) =>
    ResultAsync.fromSafePromise<T, never>(new Promise((resolve) => setImmediate(() => resolve(value))));
  const unused = (call: string) => () => {
    throw new Error(`the replay port has no answer for ${call}: the bench flow never calls it`);
  };
  return {
    recordLegalDocument: () => later(legal),
    upsertUser: () => later(upsert),
    triggerVerification: () => later(triggered),
    getVerification: () => later(verification),
    getUser: unused('getUser'),
    uploadDocument: unused('uploadDocument'),
    getDocument: unused('getDocument'),
  };
}
