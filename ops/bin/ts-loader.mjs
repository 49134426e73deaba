// `node --import ./ops/bin/ts-loader.mjs file.ts` runs the repository's TypeScript without a build step
// (see ts-hooks.mjs). Importing this module registers the hooks for this thread's later imports; worker
// threads register it again (ops/bin/worker-boot.mjs). Stack traces map back to the .ts lines.
import { register } from "node:module";

register("./ts-hooks.mjs", import.meta.url);
process.setSourceMapsEnabled(true);
