import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { machineMarkdown, toDefinitionJson, toDot, toMermaid } from './diagram.js';
import { onboardingMachine } from './machine.js';
import { TOP_LEVEL_STATES } from './snapshot.js';

function allNodes(node: AnyStateNode = onboardingMachine.root): AnyStateNode[] {
  return Object.values(node.states).flatMap((child) => [child, ...allNodes(child)]);
}
const leaves = allNodes().filter((node) => Object.keys(node.states).length === 0);
const idOf = (node: AnyStateNode) => node.path.join('_');
const EVENTS = [...new Set(allNodes().flatMap((node) => [...node.transitions.keys()]))];

/** Braces opened and closed outside double-quoted strings. */
function braceDepths(text: string): { final: number; min: number } {
  let depth = 0;
  let min = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === '{') depth++;
    else if (!quoted && c === '}') min = Math.min(min, --depth);
  }
  return { final: depth, min };
}

describe('Mermaid diagram', () => {
  const mermaid = toMermaid();
  const lines = mermaid.trimEnd().split('\n');

  it('is a stateDiagram-v2 whose every line is a state, a nesting or a transition', () => {
    expect(lines[0]).toBe('stateDiagram-v2');
    const shapes = [
      /^\[\*\] --> \w+$/,
      /^\w+ --> \[\*\]$/,
      /^state "[^"]+" as \w+ \{$/,
      /^state "[^"]+" as \w+$/,
      /^\}$/,
      /^\w+ --> \w+: [A-Z_]+( \[\w+\])?$/,
    ];
    for (const line of lines.slice(1)) {
      expect(
        shapes.some((shape) => shape.test(line.trim())),
        line,
      ).toBe(true);
    }
    expect(braceDepths(mermaid)).toEqual({ final: 0, min: 0 });
  });

  it('names every top-level state', () => {
    for (const state of TOP_LEVEL_STATES) expect(mermaid).toContain(`state "${state}`);
  });

  it('shows every event of the machine on a transition', () => {
    expect(EVENTS.length).toBe(8);
    for (const event of EVENTS) expect(mermaid).toMatch(new RegExp(`--> \\w+: ${event}\\b`));
  });

  it('declares every state a transition starts from or goes to', () => {
    const declared = new Set(lines.map((l) => / as (\w+)/.exec(l)?.[1]).filter(Boolean));
    for (const line of lines) {
      const m = /^\s*(\w+) --> (\w+):/.exec(line);
      if (m) {
        expect(declared.has(m[1]), line).toBe(true);
        expect(declared.has(m[2]), line).toBe(true);
      }
    }
  });

  it('names the Crossmint call of each state that makes one', () => {
    for (const call of [
      'recordLegalDocument',
      'upsertUser',
      'uploadDocument',
      'triggerVerification',
      'getVerification',
    ]) {
      expect(mermaid).toContain(`calls ${call}`);
    }
  });
});

describe('DOT diagram', () => {
  const dot = toDot();

  it('is one balanced digraph', () => {
    expect(dot.startsWith('digraph onboarding {')).toBe(true);
    expect(dot.trimEnd().endsWith('}')).toBe(true);
    expect(braceDepths(dot)).toEqual({ final: 0, min: 0 });
  });

  it('declares every leaf state as a node, final states with a double border', () => {
    for (const leaf of leaves)
      expect(dot).toMatch(new RegExp(`^\\s*${idOf(leaf)} \\[label="${leaf.key}`, 'm'));
    expect(dot).toMatch(/verified \[label="verified", peripheries=2\]/);
    expect(dot).toMatch(/rejected \[label="rejected", peripheries=2\]/);
  });

  it('draws every event and starts at the policy', () => {
    for (const event of EVENTS) expect(dot).toContain(`label="${event}`);
    expect(dot).toContain('start -> policyPending_recordingPolicy;');
  });
});

describe('definition JSON', () => {
  it('parses, and holds every top-level state', () => {
    const definition = JSON.parse(toDefinitionJson()) as { id: string; states: Record<string, unknown> };
    expect(definition.id).toBe('onboarding');
    expect(Object.keys(definition.states).sort()).toEqual([...TOP_LEVEL_STATES].sort());
  });
});

describe('docs/machine.md', () => {
  it('is the page machineMarkdown() generates (regenerate it when the machine changes)', () => {
    const page = new URL('../../../../docs/machine.md', import.meta.url);
    let committed = '';
    try {
      committed = readFileSync(page, 'utf8');
    } catch {
      // A missing page fails below with the same instructions.
    }
    expect(
      committed,
      'docs/machine.md is out of date with the machine: run `pnpm --filter @kyc-handoff/core diagram` and commit docs/machine.md',
    ).toBe(machineMarkdown());
  });

  it('embeds the Mermaid diagram in a mermaid code block', () => {
    expect(machineMarkdown()).toContain(`\`\`\`mermaid\n${toMermaid().trimEnd()}\n\`\`\``);
  });
});
