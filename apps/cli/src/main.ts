#!/usr/bin/env node
import { Command } from 'commander';
import { consoleCommand } from './commands/console.js';
import { demoCommand } from './commands/demo.js';
import { diagramCommand } from './commands/diagram.js';
import { exportCommand } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { onboardCommand } from './commands/onboard.js';
import { resumeCommand } from './commands/resume.js';
import { retryCommand } from './commands/retry.js';
import { sandboxCommand } from './commands/sandbox.js';
import { statusCommand } from './commands/status.js';
import { supplyCommand } from './commands/supply.js';
import { webhooksCommand } from './commands/webhooks.js';
import { workerCommand } from './commands/worker.js';

// Thin on purpose: each command lives in commands/ and is only registered here.
const program = new Command('kyc-handoff')
  .description('hand users a platform has already verified over to Crossmint KYC')
  .showHelpAfterError();
for (const command of [
  demoCommand(),
  importCommand(),
  onboardCommand(),
  resumeCommand(),
  workerCommand(),
  statusCommand(),
  consoleCommand(),
  exportCommand(),
  supplyCommand(),
  retryCommand(),
  webhooksCommand(),
  diagramCommand(),
  sandboxCommand(),
]) {
  program.addCommand(command);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`kyc-handoff: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
