import { defineProject } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources (the "source" export condition),
// so a test run never depends on a stale build.
export function packageProject(name: string, overrides: { testTimeout?: number } = {}) {
  return defineProject({
    // "source" plus Node's own; not "import" or "module": vitest passes these to node --conditions,
    // where they would also steer require() of dual-format packages (pg's require('pg-pool')) to ESM.
    resolve: { conditions: ['source', 'node', 'development|production'] },
    ssr: {
      resolve: { conditions: ['source', 'node', 'development|production'], externalConditions: ['source'] },
    },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 20_000,
      hookTimeout: 30_000,
    },
  });
}
