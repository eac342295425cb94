// pnpm --filter @kyc-handoff/bench compare -- --against DIR [--rounds N] [--users N] [--no-http]
//   [--zero-is-unlimited] [--no-record]
import { parseArgs } from 'node:util';
import { compareEngines } from './compare.js';
import { appendResult, machine, printTable } from './lib/machine.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    against: { type: 'string' },
    rounds: { type: 'string', default: '4' },
    users: { type: 'string', default: '20000' },
    'no-http': { type: 'boolean', default: false },
    'zero-is-unlimited': { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
  },
});
if (values.against === undefined) {
  console.error('--against DIR is required: the root of another built kyc-handoff checkout');
  process.exit(2);
}
console.log(`machine: ${JSON.stringify(machine())}`);
try {
  const result = await compareEngines({
    against: values.against,
    rounds: Number(values.rounds),
    users: Number(values.users),
    noHttp: values['no-http'],
    zeroIsUnlimited: values['zero-is-unlimited'],
    log: (line) => console.log(line),
  });
  printTable(`this checkout against ${result.against.revision ?? result.against.dir}`, result.runs);
  const figure = result.noHttp ? 'CPU ms per user, without HTTP' : '× the raw runs around each run';
  console.log(`\nmedian (${figure}): this ${result.median.this}, other ${result.median.other}`);
  console.log(`per round, this ÷ other: ${result.roundQuotients.join(', ')}`);
  if (!result.noHttp)
    console.log(`per round, CPU per user, this ÷ other: ${result.cpuRoundQuotients.join(', ')}`);
  if (!values['no-record']) appendResult('compare', { result });
} catch (error) {
  console.error(`compare failed: ${(error as Error).message}`);
  process.exit(1);
}
