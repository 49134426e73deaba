import { homedir } from "node:os";
import { join } from "node:path";
import { run, which } from "./process.ts";
import type { Progress } from "./types.ts";

/**
 * Runs mvn in batch mode and shows each "Downloaded from" line as progress, so a first (cold) `stack up`
 * says what it is fetching. Artifacts land in ~/.m2 as usual, which is the cache a fresh clone reuses.
 */
export const mvn = async (args: ReadonlyArray<string>, progress: Progress, label: string): Promise<void> => {
  if ((await which("mvn")) === null)
    throw new Error(
      "mvn not found: install Java 17 and Maven (apt-get install openjdk-17-jdk-headless maven)",
    );
  let downloads = 0;
  // Name the local repository explicitly: mvn takes user.home from the password database, which for
  // service accounts can be a directory that does not exist (e.g. /nonexistent), while HOME is set.
  const repo = `-Dmaven.repo.local=${join(homedir(), ".m2", "repository")}`;
  const r = await run("mvn", ["-B", repo, ...args], {
    onLine: (line) => {
      if (!line.includes("Downloaded from")) return;
      downloads += 1;
      // POMs are many and tiny: show the archives, which are what takes the time.
      if (!/\.(jar|zip)\b/.test(line)) return;
      const m = /\/([^/\s]+) \(([^)]*)\)/.exec(line);
      progress(`${label}: downloaded ${m?.[1] ?? "artifact"}${m?.[2] ? ` (${m[2].split(" at ")[0]})` : ""}`);
    },
  });
  if (r.code !== 0) {
    const errors = r.stdout
      .split("\n")
      .filter((l) => l.includes("[ERROR]"))
      .slice(0, 8)
      .join("\n");
    throw new Error(`mvn ${args.join(" ")} failed:\n${errors}`);
  }
  if (downloads > 0) progress(`${label}: ${downloads} artifacts downloaded`);
};

/** The Java home of the `java` on PATH (Elasticsearch wants ES_JAVA_HOME). */
export const javaHome = async (): Promise<string> => {
  const java = await which("java");
  if (java === null)
    throw new Error("java not found: install Java 17 (apt-get install openjdk-17-jdk-headless)");
  const real = await run("readlink", ["-f", java]);
  return real.stdout.trim().replace(/\/bin\/java$/, "");
};
