// Writes docs/machine.md from the machine itself: `pnpm --filter @kyc-handoff/core diagram`.
// src/machine/diagram.test.ts fails when the committed page and the machine disagree.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machineMarkdown } from '../src/machine/diagram.js';

const target = fileURLToPath(new URL('../../../docs/machine.md', import.meta.url));
writeFileSync(target, machineMarkdown());
console.log(`wrote ${target}`);
