import { aptInstall, which } from "./process.ts";
import type { Progress } from "./types.ts";

/**
 * Command-line tools some tests and `holdfast rehearse` need beside the servers: `promtool` (Debian
 * package `prometheus`) checks metrics and alert rules; `chromium` renders the rehearsal report. Both come
 * from Debian's packages, installed with apt-get when missing (root or passwordless sudo), like the
 * PostgreSQL and Redis packages of `holdfast stack up`.
 */
export type Tool = "promtool" | "chromium";

const packageOf: Record<Tool, ReadonlyArray<string>> = {
  promtool: ["prometheus"],
  chromium: ["chromium"],
};

/** The tool's path, installing its package first when it is missing; a Left-free Promise that rejects
 * with a message naming the package when it cannot be had (no apt, no root). */
export const ensureTool = async (tool: Tool, progress: Progress = () => undefined): Promise<string> => {
  const found = await which(tool);
  if (found !== null) return found;
  await aptInstall(packageOf[tool], progress);
  const installed = await which(tool);
  if (installed === null)
    throw new Error(`${tool} still missing after apt-get install ${packageOf[tool].join(" ")}`);
  return installed;
};
