import pg from "pg";
import type { Config } from "../config/config.ts";

export interface PoolOptions {
  /** `application_name`, so `pg_stat_activity` tells the roles apart. */
  readonly name?: string;
  readonly max?: number;
  readonly idleTimeoutMillis?: number;
  /** Session settings every connection starts with (libpq `options`, e.g. `-c enable_seqscan=off`). */
  readonly sessionOptions?: string;
}

/**
 * A PostgreSQL pool from the decoded config: the one place holdfast makes one. An idle client's
 * connection dropping (the server restarting) must not crash the process: the pool's `error` event is
 * swallowed, and the next query through the pool reports the failure where it can be handled.
 *
 * @example
 *   const pool = openPool(config, { name: "holdfast-read-api", max: 8 });
 */
export const openPool = (config: Pick<Config, "databaseUrl">, opts: PoolOptions = {}): pg.Pool => {
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    ...(opts.max === undefined ? {} : { max: opts.max }),
    ...(opts.idleTimeoutMillis === undefined ? {} : { idleTimeoutMillis: opts.idleTimeoutMillis }),
    ...(opts.name === undefined ? {} : { application_name: opts.name }),
    ...(opts.sessionOptions === undefined ? {} : { options: opts.sessionOptions }),
  });
  pool.on("error", () => undefined);
  return pool;
};
