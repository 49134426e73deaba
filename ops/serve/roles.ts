import { makePaymentsRole } from "../../commands/payments/role.ts";
import { checkpointsRole } from "../../projections/checkpoints/role.ts";
import { checkpointsTopic } from "../../projections/checkpoints/topic.ts";
import { projectorRole } from "../../projections/main.ts";
import { readSideNamesFor } from "../../projections/names.ts";
import { readApiRole } from "../../read-api/main.ts";
import { commandHandlerRole } from "./command-handler-role.ts";
import type { Namespace } from "./namespace.ts";
import { startQueueInfra } from "./queue-infra.ts";
import type { Role } from "../../infra/process/role.ts";
import { writeApiRole } from "./write-api-role.ts";

/** Options of `holdfast serve` that roles may need. */
export interface RoleOptions {
  readonly namespace: Namespace;
  readonly waitBudgetMs?: number;
  /** Consumer group of the command handler (default the namespace's); tests force two groups onto one SKU. */
  readonly handlerGroup?: string;
}

/**
 * Every role `holdfast serve` can run, in start order: the command handler first, so the write API's first
 * commands are decided at once; the projector before the read API, so views start catching up early.
 * All of them share the namespace, so a namespaced deployment (tests, benchmarks) never meets another.
 */
export const allRoles = (opts: RoleOptions): ReadonlyArray<Role> => {
  const ns = opts.namespace;
  const names = readSideNamesFor(ns.name);
  return [
    commandHandlerRole(ns, opts.handlerGroup === undefined ? {} : { groupId: opts.handlerGroup }),
    writeApiRole(ns, opts.waitBudgetMs === undefined ? {} : { waitBudgetMs: opts.waitBudgetMs }),
    projectorRole({
      names,
      // The sweeper (third expiry layer) enqueues ExpireHolds on the same command queue as the write API.
      commandQueue: async (ctx) => {
        const infra = await startQueueInfra(ctx.config, ns, ctx.logger, "holdfast-sweeper");
        return { queue: infra.queue, stop: () => infra.stop() };
      },
    }),
    readApiRole({ names }),
    makePaymentsRole({
      topics: ns.topics,
      checkpointName: ns.name === "" ? "payments" : `payments.${ns.name}`,
    }),
    checkpointsRole({ topic: checkpointsTopic(ns.name) }),
  ];
};
