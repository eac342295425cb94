import { execFileSync } from 'node:child_process';

export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs SQL through psql (the bench has no pg dependency of its own); returns stdout. */
export function psql(sql: string): string {
  return execFileSync(
    'psql',
    [PG_URL, '-c', 'SET client_min_messages = warning', '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

export function pgAvailable(): boolean {
  try {
    return psql('SELECT 1').trim() === '1';
  } catch {
    return false;
  }
}

/** A fresh schema name; dropped by dropSchema. */
export function freshSchema(label: string): string {
  const schema = `bench_${label}_${process.pid}_${Date.now().toString(36)}`;
  psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  return schema;
}

export function dropSchema(schema: string): void {
  psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}
