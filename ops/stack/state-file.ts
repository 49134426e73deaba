import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { ensureDir } from "./paths.ts";

/**
 * `.holdfast/stack.json`: the PIDs of the servers this checkout started, so `down` stops only those and
 * `status` can tell "started by holdfast" from "existing". A server that answers without a live
 * recorded PID was there before us and is never touched.
 */
const Started = t.type({ pid: t.number, url: t.string, startedAt: t.string });
const StackState = t.record(t.string, Started);
export type Started = t.TypeOf<typeof Started>;
export type StackState = t.TypeOf<typeof StackState>;

const file = (stateDir: string) => join(stateDir, "stack.json");

export const readState = (stateDir: string): StackState => {
  let text: string;
  try {
    text = readFileSync(file(stateDir), "utf8");
  } catch {
    return {};
  }
  try {
    const decoded = StackState.decode(JSON.parse(text));
    return E.isRight(decoded) ? decoded.right : {};
  } catch {
    return {};
  }
};

export const writeState = (stateDir: string, state: StackState): void => {
  ensureDir(stateDir);
  writeFileSync(file(stateDir), `${JSON.stringify(state, null, 2)}\n`);
};
