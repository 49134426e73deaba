import type { Command } from "commander";

/** `holdfast projections`: not built yet (see the open issues). */
export const registerProjections = (_program: Command): void => {};
