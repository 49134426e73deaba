import { randomBytes } from "node:crypto";
import pg from "pg";

/** A database of its own for one test file: created on start, dropped by `cleanup`. */
export const testDatabase = async () => {
  const base = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast";
  const name = `hf_test_${randomBytes(6).toString("hex")}`;
  const admin = new URL(base);
  admin.pathname = "/postgres";
  const adminPool = new pg.Pool({ connectionString: admin.toString(), max: 1 });
  await adminPool.query(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 8 });
  // Idle clients see "terminating connection" when the database is dropped at the end: expected.
  pool.on("error", () => {});
  return {
    pool,
    url: url.toString(),
    name,
    cleanup: async () => {
      await pool.end();
      await adminPool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await adminPool.end();
    },
  };
};
