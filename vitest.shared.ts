import { defineProject } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources (the "source" export condition),
// so a test run never depends on a stale build.
export function packageProject(name: string, overrides: { testTimeout?: number } = {}) {
  return defineProject({
    resolve: { conditions: ['source', 'import', 'node', 'default'] },
    ssr: { resolve: { conditions: ['source', 'import', 'node', 'default'], externalConditions: ['source'] } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 20_000,
      hookTimeout: 30_000,
    },
  });
}
