import { monitorEventLoopDelay } from "node:perf_hooks";

export interface LoopDelaySampler {
  /** Mean event-loop delay over the last sample, in ms (the overload guard's `loopDelayMs`). */
  delayMs(): number;
  stop(): void;
}

/**
 * Samples the event loop's mean delay every `everyMs` (default 250 ms) for the overload guard
 * (overload.ts): a late loop means every answer is late, so new writes are shed.
 */
export const sampleLoopDelay = (opts: { readonly everyMs?: number } = {}): LoopDelaySampler => {
  const resolutionMs = 10;
  const loop = monitorEventLoopDelay({ resolution: resolutionMs });
  loop.enable();
  let delayMs = 0;
  const timer = setInterval(() => {
    // The histogram counts the sampling timer's own resolution as delay: subtract it.
    delayMs = Math.max(0, loop.mean / 1e6 - resolutionMs);
    loop.reset();
  }, opts.everyMs ?? 250);
  timer.unref();
  return {
    delayMs: () => delayMs,
    stop: () => {
      clearInterval(timer);
      loop.disable();
    },
  };
};
