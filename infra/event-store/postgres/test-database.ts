import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * A throwaway database on the server named by `serverUrl` (only its host, port and credentials are
 * used): `hf_test_<random>`, dropped (with force) by `drop()`. Tests and benchmarks use one each, so they
 * never touch anyone else's data on the shared server.
 */
export const createTestDatabase = async (
  serverUrl: string,
  label = "test",
): Promise<{ readonly url: string; readonly drop: () => Promise<void> }> => {
  const name = `hf_${label}_${randomBytes(6).toString("hex")}`;
  const admin = new URL(serverUrl);
  admin.pathname = "/postgres";
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: admin.toString() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
};
