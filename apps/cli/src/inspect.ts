import { createStatelyInspector, type InspectorLike } from '@kyc-handoff/engine';

export interface AttachedInspector {
  inspector: InspectorLike;
  close(): void;
}

const LOCAL_PORT = 8080;

/**
 * `--inspect` streams every onboarding machine to the Stately inspector: hosted (Stately Sky, it
 * prints a live link) or `--inspect=local` (a relay on ws://localhost:8080 whose page at
 * http://localhost:8080 embeds the inspector UI). Snapshots hold ids, states and counters only.
 */
export async function attachInspector(mode: string | true): Promise<AttachedInspector> {
  if (mode === 'local') {
    const { createInspectorServer } = await import('@statelyai/inspect/server');
    const server = createInspectorServer({ port: LOCAL_PORT, autoOpen: false });
    const inspector = await createStatelyInspector({
      kind: 'websocket',
      url: `ws://localhost:${LOCAL_PORT}`,
    });
    process.stderr.write(
      `inspector: open http://localhost:${LOCAL_PORT} in a browser to watch the machines (relay on ws://localhost:${LOCAL_PORT})\n`,
    );
    return {
      inspector,
      close() {
        inspector.stop();
        server.stop();
      },
    };
  }
  if (mode !== true && mode !== 'sky' && mode !== 'hosted') {
    throw new Error(`--inspect takes no value (hosted) or =local, not "${mode}"`);
  }
  process.stderr.write('inspector: connecting to Stately Sky; the live link follows once connected\n');
  const inspector = await createStatelyInspector({
    kind: 'hosted',
    onError: () =>
      process.stderr.write('inspector: Stately Sky is not reachable (offline?); try --inspect=local\n'),
  });
  return { inspector, close: () => inspector.stop() };
}
