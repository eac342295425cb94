import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { FieldIssue } from '@kyc-handoff/core';

/** One refused record: where it is and why, never a value from it. */
export interface RefusedRecord {
  line: number;
  userId?: string | undefined;
  status: 'invalid' | 'incomplete' | 'conflict';
  issues?: FieldIssue[];
  missingData?: string[];
  missingDocuments?: string[];
  hint?: string;
}

/** stderr shows this many refusals; the report file has them all. */
const STDERR_LIMIT = 20;

export function describeRefusal(r: RefusedRecord): string {
  const where = `line ${r.line}${r.userId !== undefined ? ` (user ${r.userId})` : ''}`;
  switch (r.status) {
    case 'invalid':
      return `${where}: invalid: ${(r.issues ?? []).map((i) => `${i.field} ${i.reason}`).join('; ')}`;
    case 'incomplete': {
      const parts = [
        (r.missingData ?? []).length > 0 ? `missing data ${r.missingData?.join(', ')}` : '',
        (r.missingDocuments ?? []).length > 0 ? `missing documents ${r.missingDocuments?.join(', ')}` : '',
      ].filter((p) => p !== '');
      return `${where}: incomplete for its region: ${parts.join('; ')} (${r.hint ?? 'complete the record'})`;
    }
    case 'conflict':
      return `${where}: conflict: ${r.hint ?? 'already imported with different data; re-run with --update to replace it'}`;
  }
}

/** Refused records to stderr (the first few) and to an NDJSON report file (all of them). */
export class Reporter {
  readonly #out: WriteStream;
  #count = 0;
  constructor(readonly path: string) {
    this.#out = createWriteStream(path, { flags: 'w', mode: 0o600 });
  }

  get count(): number {
    return this.#count;
  }

  async add(refused: RefusedRecord): Promise<void> {
    this.#count++;
    if (this.#count <= STDERR_LIMIT) process.stderr.write(`${describeRefusal(refused)}\n`);
    if (!this.#out.write(`${JSON.stringify(refused)}\n`)) await once(this.#out, 'drain');
  }

  async close(): Promise<void> {
    if (this.#count > STDERR_LIMIT) {
      process.stderr.write(`… and ${this.#count - STDERR_LIMIT} more refused records: see ${this.path}\n`);
    } else if (this.#count > 0) {
      process.stderr.write(`refused records are listed in ${this.path}\n`);
    }
    await new Promise<void>((resolve, reject) =>
      this.#out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
}
