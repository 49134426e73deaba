import { spawn } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { javaHome, mvn } from "./maven.ts";
import { ensureDir, isRoot, type StackPaths } from "./paths.ts";
import { chownTree, ensureSystemUser, type RunAs, run, stopPid, waitUntil } from "./process.ts";
import { urlEndpoint } from "./targets.ts";
import { healthy, type LocalServer, unhealthy } from "./types.ts";

export const ELASTICSEARCH_VERSION = "8.19.21";
const ARTIFACT = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ELASTICSEARCH_VERSION}:zip`;
/** Elasticsearch refuses to run as root: as root it runs as this system account, created on demand. */
export const ES_USER = "holdfast-es";

/**
 * Elasticsearch 8 from Maven Central's integration-test distribution (unpacked once into the cache),
 * single node on loopback, security off, data/logs/config under `.holdfast/elasticsearch`. See
 * README.md here for which modules that distribution carries.
 */
export const elasticsearchServer = (esUrl: string, paths: StackPaths): LocalServer => {
  const ep = urlEndpoint(esUrl, 9200);
  const dir = paths.server("elasticsearch");
  const conf = join(dir, "config");
  const home = join(paths.cache, `elasticsearch-${ELASTICSEARCH_VERSION}`);
  const pidFile = join(dir, "elasticsearch.pid");

  const probe: LocalServer["probe"] = async () => {
    try {
      const res = await fetch(new URL("/_cluster/health", esUrl), { signal: AbortSignal.timeout(3000) });
      if (!res.ok) return unhealthy(`/_cluster/health answered ${res.status}`, true);
      const body = (await res.json()) as { status?: string; cluster_name?: string };
      const colour = body.status ?? "unknown";
      return colour === "green" || colour === "yellow"
        ? healthy(`cluster ${body.cluster_name ?? "?"} ${colour}`)
        : unhealthy(`cluster ${body.cluster_name ?? "?"} ${colour}`, true);
    } catch (e) {
      return unhealthy(String((e as Error).message ?? e));
    }
  };

  const install = async (progress: (l: string) => void) => {
    if (existsSync(join(home, "bin", "elasticsearch"))) return;
    const downloads = ensureDir(join(paths.cache, "downloads"));
    progress(`elasticsearch: fetching ${ARTIFACT} from Maven Central`);
    await mvn(
      ["dependency:copy", `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${downloads}`],
      progress,
      "elasticsearch",
    );
    progress(`elasticsearch: unpacking into ${home}`);
    const staging = ensureDir(join(paths.cache, `.unpack-${process.pid}`));
    const r = await run("unzip", [
      "-q",
      "-o",
      join(downloads, `elasticsearch-${ELASTICSEARCH_VERSION}.zip`),
      "-d",
      staging,
    ]);
    if (r.code !== 0) throw new Error(`unzip failed: ${r.stderr.trim()}`);
    // The zip holds one top directory (elasticsearch-<version>); move it into place in one rename.
    const top = readdirSync(staging)[0];
    if (top === undefined) throw new Error("empty elasticsearch zip");
    const mv = await run("mv", ["-T", join(staging, top), home]);
    if (mv.code !== 0) throw new Error(`mv failed: ${mv.stderr.trim()}`);
    await run("rm", ["-rf", staging]);
    progress(`elasticsearch: modules present: ${readdirSync(join(home, "modules")).join(", ")}`);
  };

  const configure = (as: RunAs | undefined) => {
    ensureDir(conf);
    for (const f of ["jvm.options", "log4j2.properties"]) {
      if (!existsSync(join(conf, f)) && existsSync(join(home, "config", f)))
        copyFileSync(join(home, "config", f), join(conf, f));
    }
    if (existsSync(join(home, "config", "jvm.options.d")) && !existsSync(join(conf, "jvm.options.d")))
      cpSync(join(home, "config", "jvm.options.d"), join(conf, "jvm.options.d"), { recursive: true });
    ensureDir(join(conf, "jvm.options.d"));
    ensureDir(join(dir, "data"));
    ensureDir(join(dir, "logs"));
    writeFileSync(
      join(conf, "elasticsearch.yml"),
      [
        "cluster.name: holdfast",
        "node.name: holdfast-1",
        `network.host: ${ep.host}`,
        `http.port: ${ep.port}`,
        "discovery.type: single-node",
        "xpack.security.enabled: false",
        "cluster.routing.allocation.disk.threshold_enabled: false",
        "node.store.allow_mmap: false",
        "action.destructive_requires_name: false",
        `path.data: ${join(dir, "data")}`,
        `path.logs: ${join(dir, "logs")}`,
        "",
      ].join("\n"),
    );
    chownTree(dir, as);
  };

  const start: LocalServer["start"] = async (progress) => {
    await install(progress);
    const as = isRoot() ? await ensureSystemUser(ES_USER, progress) : undefined;
    configure(as);
    progress(`elasticsearch: starting on ${ep.host}:${ep.port}${as ? ` as ${as.user}` : ""}`);
    const out = openSync(join(dir, "elasticsearch.out"), "a");
    const env = {
      PATH: process.env.PATH,
      HOME: as ? dir : process.env.HOME,
      ES_JAVA_HOME: await javaHome(),
      ES_PATH_CONF: conf,
      ES_JAVA_OPTS: "-Xms512m -Xmx512m -XX:TieredStopAtLevel=1",
    };
    // `-d -p`: the launcher daemonizes the server JVM and writes its PID; that PID is what we record.
    const child = spawn(join(home, "bin", "elasticsearch"), ["-d", "-p", pidFile], {
      detached: true,
      stdio: ["ignore", out, out],
      env,
      ...(as ? { uid: as.uid, gid: as.gid } : {}),
    });
    let exit: number | null = null;
    child.on("exit", (code) => {
      exit = code ?? 1;
    });
    child.unref();
    const readPid = () => {
      try {
        return Number(readFileSync(pidFile, "utf8").trim());
      } catch {
        return 0;
      }
    };
    const ok = await waitUntil(async () => readPid() > 0 || (exit !== null && exit !== 0), 180_000);
    if (!ok || readPid() === 0)
      throw new Error(
        `launcher failed (exit ${exit}); see ${join(dir, "elasticsearch.out")} and ${join(dir, "logs")}`,
      );
    return readPid();
  };

  return {
    name: "elasticsearch",
    processMarker: `-Des.path.home=${home}`,
    local: ep.local,
    url: esUrl,
    probe,
    prepare: async () => {},
    start,
    stop: (pid) => stopPid(pid, 60_000),
    startTimeoutMs: 180_000,
  };
};
