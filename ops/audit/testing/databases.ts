import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import pg from "pg";
import type { EventStore } from "../../../infra/event-store/port.ts";
import { makePostgresEventStore } from "../../../infra/event-store/postgres/index.ts";

/**
 * Throwaway PostgreSQL databases for the auditor's integration tests: one base database per test file,
 * cloned (CREATE DATABASE … TEMPLATE) once per tamper, all dropped at the end; and the CLI run as a user
 * runs it, against one of them.
 */
const SERVER = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast";
const REPO = new URL("../../..", import.meta.url).pathname;

export const urlOf = (name: string): string => {
  const u = new URL(SERVER);
  u.pathname = `/${name}`;
  return u.toString();
};

const admin = async (sql: string) => {
  const c = new pg.Client({ connectionString: urlOf("postgres") });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};

export const testDatabases = (prefix: string) => {
  const base = `${prefix}_${randomBytes(5).toString("hex")}`;
  const created: string[] = [];
  return {
    base,
    baseUrl: urlOf(base),
    create: () => admin(`create database ${base}`),
    clone: async (): Promise<string> => {
      const name = `${base}_${created.length}`;
      await admin(`create database ${name} template ${base}`);
      created.push(name);
      return urlOf(name);
    },
    dropAll: async () => {
      for (const name of [...created, base]) await admin(`drop database if exists ${name} with (force)`);
    },
  };
};

export const openStore = async (url: string): Promise<EventStore> => {
  const s = await makePostgresEventStore({ connectionString: url, maxConnections: 2 })();
  if (E.isLeft(s)) throw new Error(JSON.stringify(s.left));
  return s.right;
};

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `holdfast …` in a child process, with `DATABASE_URL` set (an unreachable one proves "offline"). */
export const cli = (args: ReadonlyArray<string>, databaseUrl: string): Promise<CliResult> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO, "ops/bin/holdfast.mjs"), ...args],
      { cwd: REPO, env: { ...process.env, DATABASE_URL: databaseUrl, EVENTSTORE_URL: "" } },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr }),
    );
  });

/** A database URL nothing listens on: a command that works with it works offline. */
export const OFFLINE = "postgres://postgres@127.0.0.1:1/offline";
