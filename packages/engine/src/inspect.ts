import type { InspectorLike } from './options.js';

export type InspectorTarget =
  /** Stately's hosted inspector (needs the internet): it prints the live link once connected. */
  | { kind: 'hosted'; onError?: (() => void) | undefined }
  /** A WebSocket relay, e.g. `@statelyai/inspect/server` on this machine. */
  | { kind: 'websocket'; url: string };

/**
 * An inspector for the machines the engine drives. The engine runs machines with the pure
 * `transition`, so it reports actors, events and snapshots itself; each onboarding appears as an
 * actor `onboarding:<userId>` whose context holds no personal data.
 */
export async function createStatelyInspector(
  target: InspectorTarget,
): Promise<InspectorLike & { stop(): void }> {
  const inspect = await import('@statelyai/inspect');
  const inspector =
    target.kind === 'hosted'
      ? inspect.createSkyInspector({ autoStart: true, ...(target.onError && { onerror: target.onError }) })
      : inspect.createWebSocketInspector({ url: target.url, autoStart: true });
  return {
    actor: (id, snapshot, info) => inspector.actor(id, snapshot as never, info),
    event: (id, event) => inspector.event(id, event),
    snapshot: (id, snapshot, info) => inspector.snapshot(id, snapshot as never, info),
    stop: () => inspector.stop(),
  };
}
