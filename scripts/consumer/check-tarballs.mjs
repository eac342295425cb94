// Checks the tarballs `pnpm pack` made (given as arguments) the way npm will read them: no
// workspace: or catalog: range left in a manifest, no `source` export condition (its files are not
// published), and every file that exports, bin, main or types names is inside the tarball.
import { execFileSync } from 'node:child_process';
import { basename } from 'node:path';

const problems = [];
for (const tarball of process.argv.slice(2)) {
  const name = basename(tarball);
  const files = new Set(
    execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .map((f) => f.replace(/^package\//, '')),
  );
  const manifest = JSON.parse(
    execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' }),
  );
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies']) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|catalog):/.test(range)) problems.push(`${name}: ${field}.${dep} is still "${range}"`);
    }
  }
  const targets = [];
  const walk = (value, path) => {
    if (typeof value === 'string') targets.push([path, value]);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'source') problems.push(`${name}: ${path}.source is published (its files are not)`);
        else walk(inner, `${path}.${key}`);
      }
    }
  };
  walk(manifest.exports, 'exports');
  walk(typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : manifest.bin, 'bin');
  if (manifest.main) targets.push(['main', manifest.main]);
  if (manifest.types) targets.push(['types', manifest.types]);
  for (const [path, target] of targets) {
    const file = target.replace(/^\.\//, '');
    if (!file.includes('*') && !files.has(file))
      problems.push(`${name}: ${path} names ${target}, not in the tarball`);
  }
}
for (const problem of problems) console.error(problem);
process.exit(problems.length > 0 ? 1 : 0);
