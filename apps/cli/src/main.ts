#!/usr/bin/env node
import { setMaxListeners } from 'node:events';
import { Command } from 'commander';
import { demoCommand } from './commands/demo.js';
import { importCommand } from './commands/import.js';
import { sandboxCommand } from './commands/sandbox.js';

// The engine shares one AbortSignal among every call waiting for the rate budget (one listener
// each, up to --concurrency): that is not a leak, so Node's warning at 10 is lifted.
setMaxListeners(10_000);

// Thin on purpose: each command lives in commands/ and is only registered here.
const program = new Command('kyc-handoff')
  .description('hand users a platform has already verified over to Crossmint KYC')
  .showHelpAfterError();
program.addCommand(demoCommand());
program.addCommand(importCommand());
program.addCommand(sandboxCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`kyc-handoff: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
