import type { AnyStateMachine, AnyStateNode } from 'xstate';
import type { OnboardingContext } from './context.js';
import type { StateMeta } from './effects.js';
import type { OnboardingEvent } from './events.js';
import { guards } from './guards.js';
import { contextUpdates, onboardingMachine, outputOf } from './machine.js';
import type { OnboardingSnapshot, OnboardingStateValue } from './snapshot.js';
import type { OnboardingOutput } from './version.js';

type C = OnboardingContext;
type E = OnboardingEvent;
type Guard = (args: { context: C; event: E }) => boolean;
type Update = (context: C, event: E) => Partial<C>;

interface Candidate {
  guard: Guard | undefined;
  updates: readonly Update[];
  /** The leaf entered; undefined for a transition without a target (the state stays). */
  target: Leaf | undefined;
}

interface Leaf {
  /** The dotted path, as statePath gives it. */
  readonly path: string;
  readonly value: OnboardingStateValue;
  readonly final: boolean;
  readonly meta: Readonly<Record<string, StateMeta | undefined>>;
  /** By event type, this leaf's candidates first, then its ancestors', as XState selects them. */
  readonly on: Map<string, readonly Candidate[]>;
}

/**
 * A snapshot made by the compiled transitions: the state value and meta are shared per state,
 * only the context is per onboarding.
 */
class CompiledSnapshot implements OnboardingSnapshot {
  readonly value: OnboardingStateValue;
  readonly status: 'active' | 'done';
  readonly output: OnboardingOutput | undefined;
  constructor(
    readonly leaf: Leaf,
    readonly context: C,
  ) {
    this.value = leaf.value;
    this.status = leaf.final ? 'done' : 'active';
    this.output = leaf.final ? outputOf(context) : undefined;
  }
  getMeta(): Record<string, StateMeta | undefined> {
    return this.leaf.meta as Record<string, StateMeta | undefined>;
  }
  /** What JSON.stringify shows of it, as of XState's snapshot: never the compiled transitions. */
  toJSON() {
    return { value: this.value, context: this.context, status: this.status, output: this.output };
  }
}

/** Why the machine cannot be compiled; the compiled path is then not used at all. */
class Unsupported extends Error {}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function stateValueOf(node: AnyStateNode): OnboardingStateValue {
  const path = node.path as string[];
  let value: OnboardingStateValue = path.at(-1)!;
  for (let i = path.length - 2; i >= 0; i--) value = { [path[i]!]: value };
  return deepFreeze(value);
}

/** The leaf XState enters for a target: compound states go down their initial states. */
function entered(node: AnyStateNode): AnyStateNode {
  let current = node;
  while (current.type === 'compound') {
    const initial = current.initial?.target as AnyStateNode[] | undefined;
    if (initial?.length !== 1) throw new Unsupported(`${current.id}: no single initial state`);
    current = initial[0]!;
  }
  return current;
}

function checkNode(node: AnyStateNode): void {
  if (node.type !== 'atomic' && node.type !== 'compound' && node.type !== 'final') {
    throw new Unsupported(`${node.id}: ${node.type} states are not compiled`);
  }
  if (node.type === 'final' && node.parent?.parent !== undefined) {
    throw new Unsupported(`${node.id}: a final state inside another state`);
  }
  if (node.entry.length > 0 || node.exit.length > 0)
    throw new Unsupported(`${node.id}: entry or exit actions`);
  if (node.always !== undefined && node.always.length > 0) throw new Unsupported(`${node.id}: always`);
  if (node.after.length > 0 || node.invoke.length > 0) throw new Unsupported(`${node.id}: after or invoke`);
  for (const key of node.transitions.keys()) {
    if (key.includes('*') || key.startsWith('xstate.')) throw new Unsupported(`${node.id}: event ${key}`);
  }
}

function named(config: unknown): { type: string; params: unknown } {
  if (typeof config === 'string') return { type: config, params: undefined };
  if (
    typeof config === 'object' &&
    config !== null &&
    typeof (config as { type?: unknown }).type === 'string'
  ) {
    const { type, params } = config as { type: string; params?: unknown };
    if (typeof params === 'function') throw new Unsupported(`${type}: dynamic params`);
    return { type, params };
  }
  throw new Unsupported('an inline guard or action');
}

function compileGuard(config: unknown): Guard | undefined {
  if (config === undefined) return undefined;
  const { type, params } = named(config);
  // The guards read only the context and the event; one that took params would need them passed.
  if (params !== undefined) throw new Unsupported(`guard ${type}: params`);
  const guard = (guards as Record<string, Guard | undefined>)[type];
  if (guard === undefined) throw new Unsupported(`guard ${type}`);
  return guard;
}

function compileAction(config: unknown): Update {
  const { type, params } = named(config);
  const update = (contextUpdates as Record<string, ((c: C, e: E, p: unknown) => Partial<C>) | undefined>)[
    type
  ];
  if (update === undefined) throw new Unsupported(`action ${type}`);
  return (context, event) => update(context, event, params);
}

function leavesOf(node: AnyStateNode): AnyStateNode[] {
  checkNode(node);
  const children = Object.values(node.states) as AnyStateNode[];
  return children.length === 0 ? [node] : children.flatMap(leavesOf);
}

function compile(machine: AnyStateMachine): Map<string, Leaf> {
  const root = machine.root as AnyStateNode;
  if (Object.keys(root.states).length === 0) throw new Unsupported('a machine without states');
  const nodes = leavesOf(root);
  const leaves = new Map<string, Leaf>();
  for (const node of nodes) {
    const path = (node.path as string[]).join('.');
    const value = stateValueOf(node);
    const resolved = machine.resolveState({ value: value as never, context: {} });
    leaves.set(path, {
      path,
      value,
      final: node.type === 'final',
      meta: deepFreeze(resolved.getMeta() as Record<string, StateMeta | undefined>),
      on: new Map(),
    });
  }
  for (const node of nodes) {
    const leaf = leaves.get((node.path as string[]).join('.'))!;
    for (let owner: AnyStateNode | undefined = node; owner !== undefined; owner = owner.parent) {
      for (const [eventType, transitions] of owner.transitions) {
        const candidates = [...(leaf.on.get(eventType) ?? [])];
        for (const t of transitions) {
          const targets = t.target as AnyStateNode[] | undefined;
          if (targets !== undefined && targets.length !== 1) throw new Unsupported(`${owner.id}: targets`);
          const target = targets === undefined ? undefined : leaves.get(entered(targets[0]!).path.join('.'));
          if (targets !== undefined && target === undefined) throw new Unsupported(`${owner.id}: target`);
          candidates.push({
            guard: compileGuard(t.guard),
            updates: (t.actions as unknown[]).map(compileAction),
            target,
          });
        }
        leaf.on.set(eventType, candidates);
      }
    }
  }
  return leaves;
}

/**
 * The leaves of `machine` with their transitions; null when it uses what is not compiled. Exported
 * for the test that checks the refusals; the onboarding machine's are compiled once, below.
 */
export function compileLeaves(machine: AnyStateMachine): ReadonlyMap<string, unknown> | null {
  try {
    return compile(machine);
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
    return null;
  }
}

let compiled: Map<string, Leaf> | null | undefined;

function leaves(): Map<string, Leaf> | null {
  if (compiled === undefined) compiled = compileLeaves(onboardingMachine) as Map<string, Leaf> | null;
  return compiled;
}

function pathOf(value: unknown): string | undefined {
  const parts: string[] = [];
  let current = value;
  while (typeof current === 'object' && current !== null) {
    const keys = Object.keys(current);
    if (keys.length !== 1) return undefined;
    parts.push(keys[0]!);
    current = (current as Record<string, unknown>)[keys[0]!];
  }
  if (typeof current !== 'string') return undefined;
  parts.push(current);
  return parts.join('.');
}

function leafOf(snapshot: Pick<OnboardingSnapshot, 'value'>): Leaf | undefined {
  if (snapshot instanceof CompiledSnapshot) return snapshot.leaf;
  const path = pathOf(snapshot.value);
  return path === undefined ? undefined : leaves()?.get(path);
}

/**
 * XState's transition for this machine, compiled from its definition: the first candidate whose
 * guard passes, its assign updates applied in order, its target leaf entered. The machine has no
 * entry, exit, eventless or delayed transitions and no parallel states (compile() checks, and
 * refuses otherwise), so that is all a transition does; a property test holds the result equal to
 * XState's for every reachable state and event. XState's general algorithm allocated about 14 KB a
 * transition, and its collection was a tenth of the engine's CPU.
 *
 * Undefined when the snapshot is not in a compiled leaf: the caller uses XState.
 */
export function compiledTransition(snapshot: OnboardingSnapshot, event: E): OnboardingSnapshot | undefined {
  const leaf = leafOf(snapshot);
  if (leaf === undefined) return undefined;
  const candidates = leaf.on.get(event.type);
  if (candidates === undefined) return snapshot;
  const args = { context: snapshot.context, event };
  for (const candidate of candidates) {
    if (candidate.guard !== undefined && !candidate.guard(args)) continue;
    let context = snapshot.context;
    for (const update of candidate.updates) context = { ...context, ...update(context, event) };
    return new CompiledSnapshot(candidate.target ?? leaf, context);
  }
  return snapshot;
}

/** A snapshot of a compiled leaf with this context; undefined when the value names no leaf. */
export function compiledSnapshot(value: unknown, context: C): OnboardingSnapshot | undefined {
  const path = pathOf(value);
  const leaf = path === undefined ? undefined : leaves()?.get(path);
  return leaf === undefined ? undefined : new CompiledSnapshot(leaf, context);
}

/** The dotted path of a compiled snapshot's leaf, without walking its value. */
export function compiledPath(snapshot: unknown): string | undefined {
  return snapshot instanceof CompiledSnapshot ? snapshot.leaf.path : undefined;
}

export function isCompiledSnapshot(snapshot: unknown): snapshot is OnboardingSnapshot {
  return snapshot instanceof CompiledSnapshot;
}
