#!/usr/bin/env node
import { Command } from 'commander';
import { sandboxCommand } from './commands/sandbox.js';

// Thin on purpose: each command lives in commands/ and is only registered here.
const program = new Command('kyc-handoff')
  .description('hand users a platform has already verified over to Crossmint KYC')
  .showHelpAfterError();
program.addCommand(sandboxCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`kyc-handoff: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
