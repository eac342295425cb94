// The public API of every published entry point, as API Extractor sees it in the built .d.ts files:
//   node scripts/api-report.mjs           check: fails when an entry's API differs from docs/api/*.api.md
//   node scripts/api-report.mjs --update  rewrite the reports (commit them with the change)
//   node scripts/api-report.mjs --docs    also write Markdown reference pages of each package's main
//                                         entry to docs/api/reference/ (generated, not committed)
// The reports are checked in CI, so a change of the public API shows up in review as a diff.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPORTS = join(ROOT, 'docs/api');

/** Every entry point a user can import, by package folder and its built declaration file. */
const ENTRIES = [
  ['core', 'packages/core', 'dist/index.d.ts'],
  ['core-crypto', 'packages/core', 'dist/crypto/index.d.ts'],
  ['core-machine', 'packages/core', 'dist/machine/index.d.ts'],
  ['core-testing', 'packages/core', 'dist/testing/index.d.ts'],
  ['core-testing-contract', 'packages/core', 'dist/testing/contract.d.ts'],
  ['crossmint-http', 'packages/crossmint-http', 'dist/index.d.ts'],
  ['engine', 'packages/engine', 'dist/index.d.ts'],
  ['engine-testing', 'packages/engine', 'dist/testing.d.ts'],
  ['sandbox', 'packages/sandbox', 'dist/index.d.ts'],
  ['store-sqlite', 'packages/store-sqlite', 'dist/index.d.ts'],
  ['store-sqlite-testing', 'packages/store-sqlite', 'dist/testing.d.ts'],
  ['store-postgres', 'packages/store-postgres', 'dist/index.d.ts'],
  ['store-postgres-testing', 'packages/store-postgres', 'dist/testing.d.ts'],
  ['console', 'packages/console', 'dist/index.d.ts'],
  ['cli', 'apps/cli', 'dist/index.d.ts'],
];

const update = process.argv.includes('--update');
const docs = process.argv.includes('--docs');
const work = mkdtempSync(join(tmpdir(), 'kyc-api-'));
const models = join(work, 'models');
mkdirSync(models);
const changed = [];
const broken = [];

for (const [report, folder, entry] of ENTRIES) {
  const projectFolder = join(ROOT, folder);
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder,
      mainEntryPointFilePath: join(projectFolder, entry),
      bundledPackages: [],
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'es2023',
            lib: ['es2023'],
            module: 'nodenext',
            moduleResolution: 'nodenext',
            types: ['node'],
            strict: true,
            skipLibCheck: true,
          },
        },
      },
      apiReport: {
        enabled: true,
        reportFolder: REPORTS,
        reportTempFolder: join(work, 'reports'),
        reportFileName: report,
      },
      // api-documenter takes one model per package: the reference pages cover the main entries.
      docModel: {
        enabled: docs && entry === 'dist/index.d.ts',
        apiJsonFilePath: join(models, `${report}.api.json`),
      },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        // Release tags (@public, @beta) are not used here; every export is public.
        extractorMessageReporting: {
          default: { logLevel: 'warning', addToApiReportFile: true },
          'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
        },
        tsdocMessageReporting: { default: { logLevel: 'none', addToApiReportFile: false } },
        compilerMessageReporting: { default: { logLevel: 'warning' } },
      },
    },
    configObjectFullPath: join(projectFolder, 'api-extractor.json'),
    packageJsonFullPath: join(projectFolder, 'package.json'),
  });
  const result = Extractor.invoke(config, {
    localBuild: update,
    messageCallback: (message) => {
      // Findings go into the report file itself; the console stays readable.
      if (message.category !== 'Compiler') message.handled = true;
    },
  });
  if (result.apiReportChanged) changed.push(report);
  if (result.errorCount > 0) broken.push(report);
}

if (docs) {
  const out = join(REPORTS, 'reference');
  rmSync(out, { recursive: true, force: true });
  const bin = join(ROOT, 'node_modules/.bin/api-documenter');
  const run = spawnSync(bin, ['markdown', '--input-folder', models, '--output-folder', out], {
    stdio: 'inherit',
  });
  if (run.status !== 0) broken.push('api-documenter');
  else console.log(`API reference pages: ${out}`);
}
rmSync(work, { recursive: true, force: true });

if (broken.length > 0) {
  console.error(`API Extractor failed on: ${broken.join(', ')}`);
  process.exit(1);
}
if (changed.length > 0 && !update) {
  console.error(
    `the public API changed in ${changed.join(', ')}: review the difference, then run \`pnpm api:update\` and commit docs/api/`,
  );
  process.exit(1);
}
console.log(
  update
    ? `API reports written: ${changed.length} of ${ENTRIES.length} changed`
    : `API reports: all ${ENTRIES.length} entry points match docs/api/`,
);
