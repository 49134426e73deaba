#!/usr/bin/env node
// Exit 0 when node_modules already holds every package package-lock.json pins (at the pinned version),
// 1 otherwise. ops/dev.sh and ops/test.sh run `npm ci` only on 1: `npm ci` wipes node_modules first,
// which must not happen while the tree is fine (other processes may be using it). Plain JS on purpose:
// it runs before dependencies (and so esbuild, which loads the TypeScript) exist.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = process.argv[2] ?? process.cwd();
const stale = (why) => {
  process.stdout.write(`node_modules needs npm ci: ${why}\n`);
  process.exit(1);
};
if (!existsSync(join(root, "node_modules"))) stale("node_modules is missing");
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const declared = { ...pkg.dependencies, ...pkg.devDependencies };
const locked = lock.packages?.[""] ?? {};
const lockedDeclared = { ...locked.dependencies, ...locked.devDependencies };
for (const [name, range] of Object.entries(declared))
  if (lockedDeclared[name] !== range) stale(`package.json and package-lock.json disagree on ${name}`);
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (!path.startsWith("node_modules/") || entry.link) continue;
  const manifest = join(root, path, "package.json");
  if (!existsSync(manifest)) {
    // Optional packages for other platforms (e.g. biome's binaries) are never installed here.
    if (entry.optional) continue;
    stale(`${path} is missing`);
  }
  const installed = JSON.parse(readFileSync(manifest, "utf8")).version;
  if (entry.version !== undefined && installed !== entry.version)
    stale(`${path} is ${installed}, the lock pins ${entry.version}`);
}
