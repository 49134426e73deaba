import type { Command } from "commander";

/** `holdfast audit`: not built yet (see the open issues). */
export const registerAudit = (_program: Command): void => {};
