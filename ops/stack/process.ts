import { type SpawnOptions, spawn } from "node:child_process";
import { chownSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { isRoot } from "./paths.ts";
import type { Progress } from "./types.ts";

/** A unix account to run a server as (root only: servers that refuse root run as their own user). */
export interface RunAs {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion, capturing its output. `onLine` sees each output line as it arrives
 * (used to show mvn's download lines as progress). Never throws on a non-zero exit: callers decide.
 */
export const run = (
  cmd: string,
  args: ReadonlyArray<string>,
  opts: {
    readonly as?: RunAs;
    readonly env?: NodeJS.ProcessEnv;
    readonly cwd?: string;
    readonly onLine?: Progress;
  } = {},
): Promise<RunResult> =>
  new Promise((resolvePromise) => {
    const spawnOpts: SpawnOptions = {
      stdio: ["ignore", "pipe", "pipe"],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    };
    if (opts.as !== undefined) Object.assign(spawnOpts, { uid: opts.as.uid, gid: opts.as.gid });
    const child = spawn(cmd, [...args], spawnOpts);
    let stdout = "";
    let stderr = "";
    let pending = "";
    const feed = (chunk: string) => {
      if (opts.onLine === undefined) return;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) opts.onLine(l);
    };
    child.stdout?.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
      feed(c);
    });
    child.stderr?.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
      feed(c);
    });
    child.on("error", (e) => resolvePromise({ code: 127, stdout, stderr: stderr + String(e) }));
    child.on("close", (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
  });

/** Finds an executable on PATH (or null). */
export const which = async (cmd: string): Promise<string | null> => {
  const r = await run("sh", ["-c", `command -v ${cmd}`]);
  return r.code === 0 && r.stdout.trim() !== "" ? r.stdout.trim() : null;
};

/** Is a process with this PID alive (and ours to signal)? */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * Is this PID alive and still the process we started? PIDs are recycled (after a reboot, say), and
 * `down` must never signal a stranger, so the command line has to contain `marker` where /proc exists.
 */
export const isOurProcess = (pid: number, marker: string): boolean => {
  if (!isAlive(pid)) return false;
  if (!existsSync("/proc/self/cmdline")) return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").includes(marker);
  } catch {
    return false;
  }
};

/** Polls `check` until it returns true or the deadline passes; `tick` reports progress while waiting. */
export const waitUntil = async (
  check: () => Promise<boolean>,
  timeoutMs: number,
  tick?: (elapsedMs: number) => void,
): Promise<boolean> => {
  const start = Date.now();
  let lastTick = start;
  for (;;) {
    if (await check()) return true;
    const now = Date.now();
    if (now - start > timeoutMs) return false;
    if (tick !== undefined && now - lastTick >= 5000) {
      lastTick = now;
      tick(now - start);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
};

/** SIGTERM, wait for the process to go, SIGKILL after the grace period. */
export const stopPid = async (pid: number, graceMs = 30_000): Promise<void> => {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  if (await waitUntil(async () => !isAlive(pid), graceMs)) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
  await waitUntil(async () => !isAlive(pid), 5000);
};

/** The uid/gid of an existing account, or null. */
export const lookupUser = async (user: string): Promise<RunAs | null> => {
  const u = await run("id", ["-u", user]);
  const g = await run("id", ["-g", user]);
  if (u.code !== 0 || g.code !== 0) return null;
  return { user, uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
};

/** Creates a system account without a login shell when it does not exist (root only). */
export const ensureSystemUser = async (user: string, progress: Progress): Promise<RunAs> => {
  const found = await lookupUser(user);
  if (found !== null) return found;
  progress(`creating system user ${user}`);
  const r = await run("useradd", [
    "--system",
    "--user-group",
    "--no-create-home",
    "--home-dir",
    "/nonexistent",
    "--shell",
    "/usr/sbin/nologin",
    user,
  ]);
  if (r.code !== 0) throw new Error(`useradd ${user} failed: ${r.stderr.trim()}`);
  const created = await lookupUser(user);
  if (created === null) throw new Error(`user ${user} missing after useradd`);
  return created;
};

/** Hands a directory tree to another account (no-op unless root). */
export const chownTree = (dir: string, as: RunAs | undefined): void => {
  if (as === undefined || !isRoot() || !existsSync(dir)) return;
  chownSync(dir, as.uid, as.gid);
  if (!statSync(dir).isDirectory()) return;
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) chownTree(p, as);
    else chownSync(p, as.uid, as.gid);
  }
};

// Wait for another apt-get (a sibling checkout installing its own tools) instead of failing on its lock.
const APT_INSTALL = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "--no-install-recommends"];

/**
 * Installs Debian packages with apt-get (as root, or through passwordless sudo). The server's own
 * package may start a default instance; callers probe again afterwards.
 */
export const aptInstall = async (packages: ReadonlyArray<string>, progress: Progress): Promise<void> => {
  const sudo = isRoot() ? [] : ["sudo", "-n"];
  if (!isRoot() && (await which("sudo")) === null)
    throw new Error(
      `needs ${packages.join(", ")}: install them (apt-get install ${packages.join(" ")}) or run as root`,
    );
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const exec = (args: ReadonlyArray<string>) => {
    const [cmd, ...rest] = [...sudo, ...args];
    return run(cmd as string, rest, { env, onLine: (l) => l.startsWith("Setting up") && progress(`  ${l}`) });
  };
  progress(`apt-get install ${packages.join(" ")}`);
  let r = await exec([...APT_INSTALL, ...packages]);
  if (r.code !== 0) {
    progress("apt-get update");
    await exec(["apt-get", "update"]);
    r = await exec([...APT_INSTALL, ...packages]);
  }
  if (r.code !== 0)
    throw new Error(`apt-get install ${packages.join(" ")} failed: ${r.stderr.trim().slice(-500)}`);
};
