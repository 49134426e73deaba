/**
 * `node --import ./ops/bin/ts-loader.mjs ops/bench/profile-top.ts FILE.cpuprofile [N]`: the top N (default 25) self-time
 * items of a V8 CPU profile (`node --cpu-prof`), by function and file, with their share of the samples.
 * Used to name what a benchmark's process spends its time on, before and after a change.
 */
import { readFileSync } from "node:fs";

interface Node {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}
interface Profile {
  readonly nodes: Node[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (file === undefined) throw new Error("usage: profile-top FILE.cpuprofile [N]");
const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  const n = byId.get(p.samples[i]!)!;
  const dt = p.timeDeltas[i] ?? 0;
  total += dt;
  const url = n.callFrame.url.replace(/^.*\/node_modules\//, "~/").replace(/^file:\/\/.*\/wt-[^/]+\//, "");
  const key = `${n.callFrame.functionName || "(anonymous)"}  ${url}:${n.callFrame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
}
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25));
for (const [k, v] of top) process.stdout.write(`${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}\n`);
