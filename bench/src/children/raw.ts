// The ceiling: the same four calls per user with bare undici.request, no store, no machine.
import { legalDocumentBody, upsertBody } from '@kyc-handoff/core';
import { Pool } from 'undici';
import { benchRecord, locatorOf } from '../lib/records.js';
import { configOf, readyThenGo, report } from './protocol.js';

interface RawConfig {
  baseUrl: string;
  apiKey: string;
  prefix: string;
  users: number;
  concurrency: number;
  waitForGo?: boolean;
}

const config = configOf<RawConfig>();
const base = new URL(config.baseUrl);
const pool = new Pool(base.origin, { connections: config.concurrency });
const prefix = `${base.pathname.replace(/\/$/, '')}/2025-06-09/users/`;
const read = { 'x-api-key': config.apiKey, accept: 'application/json' };
const write = { ...read, 'content-type': 'application/json' };

async function call(method: 'PUT' | 'GET', path: string, body?: unknown): Promise<unknown> {
  const res = await pool.request({
    method,
    path,
    headers: body === undefined && method === 'GET' ? read : write,
    body: body === undefined ? null : JSON.stringify(body),
  });
  const json = (await res.body.json()) as unknown;
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode}`);
  return json;
}

await readyThenGo(config.waitForGo ?? false);
const startedAt = Date.now();
const started = performance.now();
let next = 0;
let verified = 0;
await Promise.all(
  Array.from({ length: config.concurrency }, async () => {
    while (next < config.users) {
      const record = benchRecord(config.prefix, next++);
      const path = prefix + encodeURIComponent(locatorOf(record.userId));
      await call('PUT', `${path}/legal-documents`, legalDocumentBody(record));
      await call('PUT', path, upsertBody(record));
      await call('PUT', `${path}/identity-verification`);
      const v = (await call('GET', `${path}/identity-verification`)) as {
        eligibility: { type: string; status: string }[];
      };
      if (v.eligibility.find((e) => e.type === 'offramp')?.status === 'verified') verified++;
    }
  }),
);
const durationMs = performance.now() - started;
await pool.close();
report({ users: config.users, verified, durationMs, startedAt, endedAt: Date.now() });
