import * as E from "fp-ts/lib/Either.js";
import type { Pool } from "pg";
import type { CommandQueue } from "../../infra/command-queue/port.ts";
import { queuedCommand } from "../../infra/command-queue/queued-command.ts";
import type { Logger } from "../../infra/observability/logger.ts";
import { skusWithOverdueHolds } from "./queries.ts";

export interface SweeperOptions {
  readonly intervalMs?: number;
  /** How long past its deadline a hold may stay `held` in the view before the sweeper acts. */
  readonly graceMs?: number;
  readonly now?: () => number;
}

/**
 * The third expiry layer (DESIGN.md): finds holds the order view still shows `held` well after their
 * deadline and enqueues `ExpireHolds` for their SKU. It decides nothing itself: the command goes through
 * the same serialized handler as the scheduler's, and `decide` expires only what is due, so a sweep
 * that races the scheduler is harmless. Returns the SKUs it enqueued for (for tests and logs).
 */
export const sweepOnce = async (
  deps: { readonly pool: Pool; readonly queue: CommandQueue; readonly logger: Logger },
  opts: SweeperOptions = {},
): Promise<ReadonlyArray<string>> => {
  const now = (opts.now ?? Date.now)();
  const skus = await skusWithOverdueHolds(deps.pool, now, opts.graceMs ?? 5_000)();
  if (E.isLeft(skus)) {
    deps.logger.warn({ error: skus.left }, "sweeper could not read the order view");
    return [];
  }
  const done: string[] = [];
  for (const skuId of skus.right) {
    const command = queuedCommand(
      skuId,
      { type: "ExpireHolds" },
      { causationId: "sweeper", now: new Date(now) },
    );
    const r = await deps.queue.enqueue(command)();
    if (E.isLeft(r)) deps.logger.warn({ skuId, error: r.left }, "sweeper could not enqueue ExpireHolds");
    else done.push(skuId);
  }
  if (done.length > 0) deps.logger.info({ skus: done }, "sweeper enqueued ExpireHolds");
  return done;
};

/** Run `sweepOnce` every `intervalMs` until stopped. */
export const startSweeper = (
  deps: { readonly pool: Pool; readonly queue: CommandQueue; readonly logger: Logger },
  opts: SweeperOptions = {},
) => {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    if (stopped) return;
    running = sweepOnce(deps, opts).finally(() => {
      if (!stopped) timer = setTimeout(tick, opts.intervalMs ?? 10_000);
    });
  };
  timer = setTimeout(tick, opts.intervalMs ?? 10_000);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => {});
    },
  };
};
