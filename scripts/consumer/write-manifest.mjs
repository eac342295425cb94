// Writes the consumer project's package.json: an ordinary ESM project depending on the tarballs,
// with TypeScript and Node's types from the registry, and better-sqlite3 pinned (npm overrides) to
// the workspace's version so that the native build copied from the workspace matches its JavaScript.
// Usage: node write-manifest.mjs OUT_FILE BETTER_SQLITE3_VERSION TS_SPEC TYPES_NODE_SPEC TARBALL…
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const [file, sqliteVersion, typescript, typesNode, ...tarballs] = process.argv.slice(2);
const dependencies = {};
for (const tarball of tarballs) {
  const manifest = execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' });
  dependencies[JSON.parse(manifest).name] = `file:${tarball}`;
}
/** `typescript@5.9.3` → ['typescript', '5.9.3'], `@types/node@^20` → ['@types/node', '^20']. */
const nameAndRange = (spec) => [spec.slice(0, spec.lastIndexOf('@')), spec.slice(spec.lastIndexOf('@') + 1)];

const manifest = {
  name: 'kyc-handoff-consumer',
  version: '1.0.0',
  private: true,
  type: 'module',
  dependencies,
  devDependencies: Object.fromEntries([nameAndRange(typescript), nameAndRange(typesNode)]),
  overrides: { 'better-sqlite3': sqliteVersion },
};
writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
