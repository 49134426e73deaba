import type { Command } from "commander";

/** `holdfast serve`: not built yet (see the open issues). */
export const registerServe = (_program: Command): void => {};
