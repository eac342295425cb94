// pnpm bench [-- --scenario NAME] [--quick] [--users N] [--lines N] [--minutes N] [--kills N] [--seed N]
import { parseArgs } from 'node:util';
import { appendResult, machine, printTable } from './lib/machine.js';
import { SCENARIOS } from './scenarios/index.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    scenario: { type: 'string', multiple: true },
    quick: { type: 'boolean', default: false },
    users: { type: 'string' },
    lines: { type: 'string' },
    minutes: { type: 'string' },
    kills: { type: 'string' },
    seed: { type: 'string' },
    'no-record': { type: 'boolean', default: false },
  },
});
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const names = values.scenario ?? Object.keys(SCENARIOS);
for (const name of names) {
  if (!(name in SCENARIOS)) {
    console.error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    process.exit(2);
  }
}
console.log(`machine: ${JSON.stringify(machine())}`);
let failed = false;
for (const name of names) {
  const scenario = SCENARIOS[name as keyof typeof SCENARIOS];
  console.log(`\n== ${name}: ${scenario.about}`);
  const started = Date.now();
  try {
    const result = await scenario.run({
      quick: values.quick,
      users: num(values.users),
      lines: num(values.lines),
      minutes: num(values.minutes),
      kills: num(values.kills),
      seed: num(values.seed),
      log: (line) => console.log(line),
    });
    const { table, targets } = scenario.summarize(result as never);
    printTable(`${name} (${Math.round((Date.now() - started) / 1000)} s)`, table);
    printTable('targets', targets);
    if (!values['no-record']) appendResult(name, { quick: values.quick, result, targets });
  } catch (error) {
    failed = true;
    console.error(`${name} failed: ${(error as Error).stack ?? error}`);
  }
}
process.exit(failed ? 1 : 0);
