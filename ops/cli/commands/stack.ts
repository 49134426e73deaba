import type { Command } from "commander";

/** `holdfast stack`: not built yet (see the open issues). */
export const registerStack = (_program: Command): void => {};
