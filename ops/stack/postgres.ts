import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { ensureDir, isRoot, type StackPaths } from "./paths.ts";
import { aptInstall, chownTree, lookupUser, type RunAs, run } from "./process.ts";
import { urlEndpoint } from "./targets.ts";
import { healthy, type LocalServer, type Progress, unhealthy } from "./types.ts";

/**
 * PostgreSQL: Debian's `postgresql` package when its binaries are absent, then a cluster of our own
 * (initdb + pg_ctl) under `.holdfast/postgresql`, trust auth on loopback. As root the cluster belongs
 * to the `postgres` account the package creates, since postgres refuses to run as root.
 */
export const postgresServer = (databaseUrl: string, paths: StackPaths): LocalServer => {
  const u = new URL(databaseUrl);
  const ep = urlEndpoint(databaseUrl, 5432);
  const user = decodeURIComponent(u.username) || "postgres";
  const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || "holdfast";
  const dir = paths.server("postgresql");
  const dataDir = join(dir, "data");
  const runDir = join(dir, "run");
  const logFile = join(dir, "log", "postgresql.log");

  const connect = async (db: string): Promise<pg.Client> => {
    const client = new pg.Client({
      host: ep.host,
      port: ep.port,
      user,
      password: u.password === "" ? undefined : decodeURIComponent(u.password),
      database: db,
      connectionTimeoutMillis: 3000,
    });
    client.on("error", () => {});
    await client.connect();
    return client;
  };

  const withClient = async <A>(db: string, f: (c: pg.Client) => Promise<A>): Promise<A> => {
    const c = await connect(db);
    try {
      return await f(c);
    } finally {
      await c.end().catch(() => {});
    }
  };

  const databaseExists = (c: pg.Client) =>
    c.query("select 1 from pg_database where datname = $1", [database]).then((r) => r.rowCount === 1);

  const probe: LocalServer["probe"] = async () => {
    try {
      return await withClient("postgres", async (c) => {
        await c.query("select 1");
        const version =
          (await c.query<{ v: string }>("select current_setting($1) as v", ["server_version"])).rows[0]?.v ??
          "?";
        return (await databaseExists(c))
          ? healthy(`PostgreSQL ${version}, database ${database}`)
          : unhealthy(`PostgreSQL ${version} answers, database ${database} missing`, true);
      });
    } catch (e) {
      return unhealthy(String((e as Error).message ?? e));
    }
  };

  const prepare: LocalServer["prepare"] = async (progress) => {
    await withClient("postgres", async (c) => {
      if (await databaseExists(c)) return;
      progress(`postgresql: creating database ${database}`);
      // Identifiers cannot be bound parameters: quote it the way PostgreSQL does.
      await c.query(`create database "${database.replaceAll('"', '""')}"`);
    });
  };

  const findBinDir = (): string | null => {
    const base = "/usr/lib/postgresql";
    if (!existsSync(base)) return null;
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    return versions[0] === undefined ? null : join(base, versions[0], "bin");
  };

  const owner = async (): Promise<RunAs | undefined> => {
    if (!isRoot()) return undefined;
    const pgUser = await lookupUser("postgres");
    if (pgUser === null)
      throw new Error("running as root but the postgres account is missing (apt-get install postgresql)");
    return pgUser;
  };

  const start: LocalServer["start"] = async (progress) => {
    let bin = findBinDir();
    if (bin === null) {
      await aptInstall(["postgresql"], progress);
      bin = findBinDir();
      if (bin === null) throw new Error("postgresql installed but no /usr/lib/postgresql/*/bin/initdb found");
    }
    const as = await owner();
    ensureDir(dataDir);
    ensureDir(runDir);
    ensureDir(join(dir, "log"));
    chownTree(dir, as);
    if (!existsSync(join(dataDir, "PG_VERSION"))) {
      progress(`postgresql: initdb ${dataDir}`);
      const r = await run(
        join(bin, "initdb"),
        ["-D", dataDir, "-U", user, "-A", "trust", "-E", "UTF8", "--no-sync"],
        { as },
      );
      if (r.code !== 0) throw new Error(`initdb failed: ${r.stderr.trim()}`);
    }
    progress(`postgresql: starting on ${ep.host}:${ep.port}`);
    const opts = `-p ${ep.port} -k ${runDir} -c listen_addresses=${ep.host}`;
    const r = await run(
      join(bin, "pg_ctl"),
      ["-D", dataDir, "-l", logFile, "-o", opts, "-w", "-t", "60", "start"],
      { as },
    );
    if (r.code !== 0)
      throw new Error(`pg_ctl start failed (log: ${logFile}): ${r.stderr.trim() || r.stdout.trim()}`);
    const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return pid;
  };

  const stop = async (_pid: number, progress: Progress): Promise<void> => {
    const bin = findBinDir();
    if (bin === null) throw new Error("pg_ctl not found");
    progress("postgresql: pg_ctl stop");
    const r = await run(join(bin, "pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "stop"], {
      as: await owner(),
    });
    if (r.code !== 0) throw new Error(`pg_ctl stop failed: ${r.stderr.trim()}`);
  };

  return {
    name: "postgresql",
    processMarker: dataDir,
    local: ep.local,
    url: databaseUrl,
    probe,
    prepare,
    start,
    stop,
    startTimeoutMs: 60_000,
  };
};
