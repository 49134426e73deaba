import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time of another process (user + system), from `/proc/<pid>/stat`, in microseconds. Benchmarks read
 * it before and after a run, so each holdfast process's cost per unit is measured from its own CPU time
 * rather than from wall clock on a shared machine. Linux only; `null` when the process is gone.
 */
const TICKS_PER_SECOND = 100;

export const processCpuMicros = (pid: number): number | null => {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Field 2 (comm) is parenthesised and may contain spaces: split after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after comm and state.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1_000_000) / TICKS_PER_SECOND;
};

/** The direct children of a process (e.g. the workers of `holdfast serve --workers N`). */
export const childPids = (pid: number): number[] => {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
};

/**
 * The kernel's count of connections refused by a full accept queue since boot (`TcpExt: ListenOverflows`
 * in `/proc/net/netstat`, what `netstat -s` prints as "times the listen queue of a socket overflowed"),
 * or `null` off Linux. Machine-wide: benchmarks read it before and after a row in which only the server
 * under test takes new connections. Such a connection is not taken in until the client tries again.
 */
export const listenOverflows = (): number | null => {
  let text: string;
  try {
    text = readFileSync("/proc/net/netstat", "utf8");
  } catch {
    return null;
  }
  const [names, values] = text.split("\n").filter((l) => l.startsWith("TcpExt:"));
  const at = names?.split(" ").indexOf("ListenOverflows") ?? -1;
  const v = at < 0 ? undefined : values?.split(" ")[at];
  return v === undefined ? null : Number(v);
};
