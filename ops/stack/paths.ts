import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/**
 * Where the stack keeps its files. Data and logs live in the checkout under `.holdfast/` (git-ignored);
 * downloads are cached outside it so a fresh clone on the same machine does not download again. As
 * root the cache is `/var/cache/holdfast` rather than `~/.cache` because `/root` is private and the
 * Elasticsearch distribution there must be readable by the unprivileged `holdfast-es` user.
 */
export interface StackPaths {
  readonly root: string;
  readonly state: string;
  readonly cache: string;
  readonly server: (name: string) => string;
}

export const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

export const stackPaths = (checkout: string): StackPaths => {
  const state = resolve(checkout, ".holdfast");
  const cache = isRoot() ? "/var/cache/holdfast" : join(homedir(), ".cache", "holdfast");
  return { root: resolve(checkout), state, cache, server: (name) => join(state, name) };
};

export const ensureDir = (dir: string): string => {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
};
