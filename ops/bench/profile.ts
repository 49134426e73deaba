import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

/**
 * `--profile DIR` for the benchmarks: a V8 CPU profile of one phase only (not the seeding), written to
 * `DIR/<name>.cpuprofile`, so the top self-time items are those of the thing measured. Without a
 * directory the phase just runs.
 */
export const profilePhase = async <A>(dir: string | undefined, name: string, f: () => Promise<A>) => {
  if (dir === undefined) return f();
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  try {
    return await f();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
};

/** Start a CPU profile now; the returned function stops it and writes `DIR/<name>.cpuprofile`. */
export const startProfile = async (dir: string, name: string): Promise<() => Promise<void>> => {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
};
