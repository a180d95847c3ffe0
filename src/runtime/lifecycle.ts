/**
 * Every long-lived component has `start()` and an idempotent `stop()` that frees its timers and
 * sockets (js-libp2p's lifecycle). A process's main.ts starts them in order and stops them in
 * reverse.
 */
export interface Startable {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** Starts components in order; if one fails, stops the ones already started and rethrows. */
export async function startAll(components: readonly Startable[]): Promise<void> {
  const started: Startable[] = [];
  try {
    for (const component of components) {
      await component.start();
      started.push(component);
    }
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

/** Stops components in reverse order; every stop runs even when an earlier one throws. */
export async function stopAll(components: readonly Startable[]): Promise<void> {
  let firstError: Error | undefined;
  for (const component of [...components].reverse()) {
    try {
      await component.stop();
    } catch (error) {
      firstError ??= error instanceof Error ? error : new Error(`stop failed: ${JSON.stringify(error)}`);
    }
  }
  if (firstError !== undefined) throw firstError;
}
