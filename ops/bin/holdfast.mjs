#!/usr/bin/env node
// The `holdfast` CLI. TypeScript sources run through ts-loader.mjs (esbuild), so the repository needs no build step.
import "./ts-loader.mjs";

await import("../cli/main.ts");
