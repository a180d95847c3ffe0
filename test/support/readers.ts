import type { Redis } from 'ioredis';

/** Polling helpers of the real-process tests: a reader that keeps the last answer, a condition wait, a PID check. */

/** GETs in a loop (bounded: at most 2 minutes), keeping the last answer. */
export function readContinuously(client: Redis, key: string): { values: (string | null)[]; errors: string[]; stop(): Promise<void> } {
  const values: (string | null)[] = [];
  const errors: string[] = [];
  const state = { running: true };
  const deadline = Date.now() + 120_000;
  const loop = (async () => {
    while (state.running && Date.now() < deadline) {
      try {
        const batch = await Promise.all(Array.from({ length: 20 }, () => client.get(key)));
        values.push(batch.at(-1) ?? null);
        if (values.length > 1000) values.splice(0, 500);
      } catch (error) {
        errors.push(String(error));
        if (errors.length > 10) return;
      }
    }
  })();
  return { values, errors, stop: async () => { state.running = false; await loop; } };
}

export async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether a process of ours is still running (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
