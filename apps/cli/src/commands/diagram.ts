import { writeFile } from 'node:fs/promises';
import { toDefinitionJson, toDot, toMermaid } from '@kyc-handoff/core';
import { Command, Option } from 'commander';
import { type GlobalFlags, withGlobalOptions } from '../config.js';
import { action, UserError } from '../errors.js';

interface DiagramFlags extends GlobalFlags {
  format: 'mermaid' | 'dot' | 'svg' | 'json';
  out?: string;
}

async function render(format: DiagramFlags['format']): Promise<string> {
  switch (format) {
    case 'mermaid':
      return toMermaid();
    case 'dot':
      return toDot();
    case 'json':
      return toDefinitionJson();
    case 'svg': {
      // Graphviz compiled to WASM: offline, no system dot needed.
      const viz = await (await import('@viz-js/viz')).instance();
      return viz.renderString(toDot(), { format: 'svg' });
    }
  }
}

/** `kyc-handoff diagram`: the onboarding machine, offline. */
export function diagramCommand(): Command {
  return withGlobalOptions(
    new Command('diagram')
      .description('print the onboarding state machine (offline)')
      .addOption(
        new Option('--format <format>', 'mermaid (stateDiagram-v2), dot (Graphviz), svg or json (definition)')
          .choices(['mermaid', 'dot', 'svg', 'json'])
          .default('mermaid'),
      )
      .option('--out <file>', 'write to this file instead of stdout'),
  )
    .addHelpText(
      'after',
      `
Example:
  $ kyc-handoff diagram --format svg --out machine.svg
  $ kyc-handoff diagram > machine.mmd        # paste into any Mermaid renderer; docs/machine.md has it`,
    )
    .action(
      action(async (flags: DiagramFlags) => {
        const text = await render(flags.format);
        if (flags.out === undefined) {
          process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
          return 0;
        }
        await writeFile(flags.out, text).catch((error: NodeJS.ErrnoException) => {
          throw new UserError(`cannot write ${flags.out} (${error.code ?? 'error'})`);
        });
        process.stderr.write(`wrote ${flags.out}\n`);
        return 0;
      }),
    );
}
