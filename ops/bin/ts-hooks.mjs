// Node module hooks (node:module `register`) that load the repository's TypeScript: each `.ts` file is
// compiled by esbuild's `transform` (types stripped, nothing bundled) and handed to Node as an ES module.
//
// Why not tsx, which did this before: tsx compiles with esbuild's `keepNames`, which wraps every named
// function and class in a `__name(fn, "fn")` call, executed each time the function value is made. On
// the hot paths (a closure per request, per event, per command) that was 2–3 % of a CPU profile and
// pushed code into shapes chosen for the loader instead of the reader. Without keepNames a function's
// `.name` is still what V8 infers from the source, which is what stack traces and profiles show.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";

/** The compiler options from tsconfig.json that change emitted code (the rest only type-check). */
const TSCONFIG = { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } };

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const { code } = await transform(await readFile(path, "utf8"), {
    loader: "ts",
    format: "esm",
    target: "node20",
    sourcemap: "inline",
    sourcefile: path,
    tsconfigRaw: TSCONFIG,
  });
  return { format: "module", source: code, shortCircuit: true };
}
