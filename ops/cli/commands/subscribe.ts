import type { Command } from "commander";

/** `holdfast subscribe`: not built yet (see the open issues). */
export const registerSubscribe = (_program: Command): void => {};
