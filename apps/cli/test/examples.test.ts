import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { API_KEY, runCli, startWorld, type World } from './__test-utils__/cli.js';

/** The records the README shows, shipped with their document files. */
const EXAMPLES = fileURLToPath(new URL('../../../examples/records/', import.meta.url));

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('the example records in examples/records', () => {
  it.each([
    { file: 'us-ssn.ndjson', userId: 'u-42', documentTypes: [] },
    {
      file: 'eu-idcard.ndjson',
      userId: 'u-43',
      documentTypes: ['id-idcard-back', 'id-idcard-front', 'selfie-front'],
    },
  ])(
    '$file imports from its own folder and $userId ends verified',
    async ({ file, userId, documentTypes }) => {
      world = await startWorld();
      // The report goes to the scratch folder so a run leaves examples/records as it is.
      const report = join(world.dir, 'report.ndjson');
      const r = await runCli(['import', file, '--json', '--report', report, ...world.fast], {
        cwd: EXAMPLES,
        env: world.env,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ total: 1, verified: 1, invalid: 0, requiresData: 0 });

      const storeOnly = { ...world.env, CROSSMINT_API_KEY: '', CROSSMINT_BASE_URL: '' };
      const status = await runCli(['status', userId, '--json'], { cwd: EXAMPLES, env: storeOnly });
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ userId, state: 'verified' });
      expect(world.sandbox.user(API_KEY, `userId:${userId}`)?.documentTypes.sort()).toEqual(documentTypes);
    },
  );

  it('the README shows each example record exactly as shipped', () => {
    const readme = readFileSync(join(EXAMPLES, '../../README.md'), 'utf8');
    for (const file of ['us-ssn.ndjson', 'eu-idcard.ndjson']) {
      expect(readme, file).toContain(readFileSync(join(EXAMPLES, file), 'utf8').trim());
    }
  });
});
