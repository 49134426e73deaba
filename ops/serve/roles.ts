import { commandHandlerRole } from "./command-handler-role.ts";
import type { Namespace } from "./namespace.ts";
import type { Role } from "./role.ts";
import { writeApiRole } from "./write-api-role.ts";

/** Options of `holdfast serve` that roles may need. */
export interface RoleOptions {
  readonly namespace: Namespace;
  readonly waitBudgetMs?: number;
  /** Consumer group of the command handler (default the namespace's); tests force two groups onto one SKU. */
  readonly handlerGroup?: string;
}

/**
 * Every role `holdfast serve` can run, in start order (writers before readers is not required, but the
 * command handler first lets the write API's first commands be decided at once). The read side
 * (`readApiRole`, `projectorRole`) and the payments role are added here by the lead.
 */
export const allRoles = (opts: RoleOptions): ReadonlyArray<Role> => [
  commandHandlerRole(opts.namespace, opts.handlerGroup === undefined ? {} : { groupId: opts.handlerGroup }),
  writeApiRole(opts.namespace, opts.waitBudgetMs === undefined ? {} : { waitBudgetMs: opts.waitBudgetMs }),
];
