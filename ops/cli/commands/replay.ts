import type { Command } from "commander";

/** `holdfast replay`: not built yet (see the open issues). */
export const registerReplay = (_program: Command): void => {};
