import { defineConfig } from 'vitest/config';

// One run over every package, so CI gets a single count of all test files.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'bench'],
  },
});
