/**
 * Receives the wall time of a pipeline stage when it ends (`extract --timings`).
 * A stage can be reported several times (work done lazily, several TUs): the
 * receiver adds them up. Stages never print; only src/cli does.
 */
export type StageTimer = (stage: string, ms: number) => void;

/** Runs `fn` and reports its wall time as `stage` (nothing when there is no timer). */
export function timed<T>(timer: StageTimer | undefined, stage: string, fn: () => T): T {
  if (!timer) return fn();
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    timer(stage, performance.now() - t0);
  }
}

/** timed() for a promise-returning `fn`: the stage ends when the promise settles. */
export async function timedAsync<T>(timer: StageTimer | undefined, stage: string, fn: () => Promise<T>): Promise<T> {
  if (!timer) return fn();
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timer(stage, performance.now() - t0);
  }
}
