import type { Command } from "commander";

/** `holdfast token`: not built yet (see the open issues). */
export const registerToken = (_program: Command): void => {};
