import { commandHandlerRole } from "../../commands/handler/role.ts";
import { makePaymentsRole } from "../../commands/payments/role.ts";
import type { Namespace } from "../../infra/process/namespace.ts";
import type { Role } from "../../infra/process/role.ts";
import { checkpointsRole } from "../../projections/checkpoints/role.ts";
import { checkpointsTopic } from "../../projections/checkpoints/topic.ts";
import { readSideNamesFor } from "../../projections/names.ts";
import { projectorRole } from "../../projections/role.ts";
import { readApiRole } from "../../read-api/role.ts";
import { writeApiRole } from "../../write-api/role.ts";

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
 * Each role is wired in its own `role.ts`; this file only assembles them.
 */
export const allRoles = (opts: RoleOptions): ReadonlyArray<Role> => {
  const ns = opts.namespace;
  const names = readSideNamesFor(ns.name);
  return [
    commandHandlerRole(ns, opts.handlerGroup === undefined ? {} : { groupId: opts.handlerGroup }),
    writeApiRole(ns, opts.waitBudgetMs === undefined ? {} : { waitBudgetMs: opts.waitBudgetMs }),
    projectorRole({ names, commandTopics: ns.topics }),
    readApiRole({ names }),
    makePaymentsRole({
      topics: ns.topics,
      checkpointName: ns.name === "" ? "payments" : `payments.${ns.name}`,
    }),
    checkpointsRole({ topic: checkpointsTopic(ns.name) }),
  ];
};
