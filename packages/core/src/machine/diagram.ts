import type { AnyStateNode } from 'xstate';
import type { StateMeta } from './effects.js';
import { onboardingMachine } from './machine.js';

interface Edge {
  from: AnyStateNode;
  to: AnyStateNode;
  event: string;
  guard: string | undefined;
}

function children(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states);
}

function edgesOf(node: AnyStateNode): Edge[] {
  const edges: Edge[] = [];
  for (const [event, transitions] of node.transitions) {
    for (const t of transitions) {
      const guard = guardName(t.guard);
      for (const to of t.target ?? [node]) edges.push({ from: node, to, event, guard });
    }
  }
  return [...edges, ...children(node).flatMap(edgesOf)];
}

function guardName(guard: unknown): string | undefined {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String(guard.type);
  return undefined;
}

const idOf = (node: AnyStateNode) => node.path.join('_');
const metaOf = (node: AnyStateNode) => node.meta as StateMeta | undefined;
const label = (e: Edge) => (e.guard ? `${e.event} [${e.guard}]` : e.event);

function detailOf(node: AnyStateNode): string | undefined {
  const meta = metaOf(node);
  if (meta?.effect) return `calls ${meta.effect}`;
  if (meta?.wait) return 'waits until wakeAt';
  if (meta?.awaits) return `awaits ${meta.awaits}`;
  return undefined;
}

/** Mermaid `stateDiagram-v2` text of the onboarding machine. */
export function toMermaid(): string {
  const machine = onboardingMachine;
  const lines = ['stateDiagram-v2'];
  const emit = (node: AnyStateNode, indent: string) => {
    const initial = node.initial?.target[0];
    if (initial) lines.push(`${indent}[*] --> ${idOf(initial)}`);
    for (const child of children(node)) {
      const detail = detailOf(child);
      if (children(child).length > 0) {
        lines.push(`${indent}state "${child.key}" as ${idOf(child)} {`);
        emit(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${child.key}${detail ? `<br/><i>${detail}</i>` : ''}" as ${idOf(child)}`);
      }
      if (child.type === 'final') lines.push(`${indent}${idOf(child)} --> [*]`);
    }
  };
  emit(machine.root, '  ');
  for (const e of edgesOf(machine.root)) lines.push(`  ${idOf(e.from)} --> ${idOf(e.to)}: ${label(e)}`);
  return `${lines.join('\n')}\n`;
}

/** Graphviz DOT text: compound states are clusters; edges into them point at their initial state. */
export function toDot(): string {
  const machine = onboardingMachine;
  const lines = [
    'digraph onboarding {',
    '  rankdir=LR; compound=true;',
    '  node [shape=box, style="rounded", fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];',
    '  start [shape=point];',
  ];
  const entry = (node: AnyStateNode): AnyStateNode => {
    const initial = node.initial?.target[0];
    return initial ? entry(initial) : node;
  };
  const emit = (node: AnyStateNode, indent: string) => {
    for (const child of children(node)) {
      if (children(child).length > 0) {
        lines.push(`${indent}subgraph cluster_${idOf(child)} {`, `${indent}  label="${child.key}";`);
        emit(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        const detail = detailOf(child);
        const shape = child.type === 'final' ? ', peripheries=2' : '';
        lines.push(
          `${indent}${idOf(child)} [label="${child.key}${detail ? `\\n(${detail})` : ''}"${shape}];`,
        );
      }
    }
  };
  emit(machine.root, '  ');
  lines.push(`  start -> ${idOf(entry(machine.root))};`);
  for (const e of edgesOf(machine.root)) {
    const to = entry(e.to);
    const lhead = to === e.to ? '' : `, lhead=cluster_${idOf(e.to)}`;
    lines.push(`  ${idOf(e.from)} -> ${idOf(to)} [label="${label(e)}"${lhead}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** The machine definition as JSON (states, transitions, guards, actions, meta). */
export function toDefinitionJson(): string {
  const machine = onboardingMachine;
  return `${JSON.stringify(machine.definition, null, 2)}\n`;
}

/** The Markdown page committed as docs/machine.md; a test keeps it in step with the machine. */
export function machineMarkdown(): string {
  return [
    '# The onboarding machine',
    '',
    'Generated from `packages/core/src/machine/machine.ts` by `pnpm kyc-handoff diagram` (and checked by',
    '`packages/core/src/machine/diagram.test.ts`): edit the machine, then run',
    '`pnpm --filter @kyc-handoff/core diagram` to refresh this page.',
    '',
    "Every state that calls Crossmint names its call; a call's result comes back as an event. Self",
    'loops on `STEP_FAILED` are waits before a retry (`wakeAt` in the context).',
    '',
    '```mermaid',
    toMermaid().trimEnd(),
    '```',
    '',
  ].join('\n');
}
