import type { Command } from "commander";

/** `holdfast payments`: not built yet (see the open issues). */
export const registerPayments = (_program: Command): void => {};
