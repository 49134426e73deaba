import { type Logger, pino } from "pino";

export type { Logger };

/**
 * JSON-lines logger (pino). One per process, made by the composition root and passed down; children
 * carry the role (`logger.child({ role: "command-handler" })`).
 */
export const makeLogger = (opts: { readonly level?: string; readonly name?: string } = {}): Logger =>
  pino({ level: opts.level ?? "info", name: opts.name ?? "holdfast", base: { pid: process.pid } });

/** A logger that drops everything: for tests. */
export const silentLogger = (): Logger => pino({ level: "silent" });
