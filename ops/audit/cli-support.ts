import { absurd } from "fp-ts/lib/function.js";
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import { decodeConfigSlice, eventStoreSettings } from "../../infra/config/config.ts";
import { type EventStore, makeEventStore, type StoreError } from "../../infra/event-store/index.ts";
import { messageOf } from "../../infra/errors/message-of.ts";

/** Exit codes of the audit commands (API.md): clean, a violation found, could not run. */
export const EXIT_CLEAN = 0;
export const EXIT_VIOLATION = 1;
export const EXIT_CANNOT_RUN = 2;

/** Something that stops a command before it can judge anything (exit 2), with a message for a person. */
export class CannotRun extends Error {}

/**
 * Run a command body and turn its result into the exit code: a number is the code, `CannotRun` (or any
 * other exception) prints its message and exits 2, never 1, so 1 always means "a violation was found".
 */
export const runAction = async (body: () => Promise<number>): Promise<void> => {
  try {
    process.exitCode = await body();
  } catch (e) {
    process.stderr.write(`holdfast: ${messageOf(e)}\n`);
    process.exitCode = EXIT_CANNOT_RUN;
  }
};

/** Bad arguments are "could not run" (2) as well; help stays 0. */
export const exitTwoOnUsageError = (cmd: Command): Command =>
  cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_CANNOT_RUN));

export const describeStoreError = (e: StoreError): string => {
  switch (e._tag) {
    case "StoreUnavailable":
      return `the event store is unreachable: ${e.message}`;
    case "CorruptEvent":
      return `${e.streamId}: a stored event is corrupt: ${e.message}`;
    case "WrongExpectedRevision":
      return `${e.streamId}: unexpected revision`;
    case "InvalidAppend":
      return `${e.streamId}: ${e.reason}`;
    default:
      return absurd(e);
  }
};

/**
 * Open the configured event store (EventStoreDB when `EVENTSTORE_URL` is set, PostgreSQL at
 * `DATABASE_URL` otherwise), run `f`, close it. The auditor only reads the event store, so that slice
 * of the config is all it decodes.
 */
export const withStore = async <A>(f: (store: EventStore) => Promise<A>): Promise<A> => {
  const config = decodeConfigSlice(eventStoreSettings, process.env);
  if (E.isLeft(config)) throw new CannotRun(config.left.message);
  const store = await makeEventStore(config.right)();
  if (E.isLeft(store)) throw new CannotRun(describeStoreError(store.left));
  try {
    return await f(store.right);
  } finally {
    await store.right.close().catch(() => undefined);
  }
};

export const readText = async (path: string, what: string): Promise<string> => {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new CannotRun(
      `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
};

export const parseCount = (text: string, flag: string): number => {
  if (!/^\d+$/.test(text)) throw new CannotRun(`${flag} must be a whole number, got "${text}"`);
  return Number(text);
};
