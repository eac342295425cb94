import { defineConfig } from 'tsup';

const common = {
  format: ['esm' as const],
  target: 'node20',
  dts: true,
  sourcemap: true,
  external: ['vitest'],
};

// Two builds, so that no declaration chunk of the main entries holds XState's types: only
// @kyc-handoff/core/machine declares them (they do not compile with exactOptionalPropertyTypes
// unless skipLibCheck is on).
export default defineConfig([
  {
    ...common,
    entry: {
      index: 'src/index.ts',
      'crypto/index': 'src/crypto/index.ts',
      'testing/index': 'src/testing/index.ts',
      'testing/contract': 'src/testing/contract.ts',
    },
    clean: true,
  },
  { ...common, entry: { 'machine/index': 'src/machine/entry.ts' }, clean: false },
]);
