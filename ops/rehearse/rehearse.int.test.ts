import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureTool } from "../stack/tools.ts";
import type { RehearsalResult } from "./rehearse.ts";
import { viewInChromium } from "./testing/browser.ts";

// `holdfast rehearse` end to end, as an operator runs it: a small sale with the command handler killed in
// the middle, every invariant checked, then its HTML report opened in headless Chromium with the network
// off: no console error, every chart drawn.
const ROOT = new URL("../../", import.meta.url).pathname;
const dir = join(ROOT, ".holdfast", "test-rehearse");

const run = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, ["ops/bin/holdfast.mjs", "rehearse", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("exit", (code) => resolve({ code, out }));
  });

describe("holdfast rehearse", () => {
  it("refuses bad options with a message and exit 2", async () => {
    const r = await run(["--stock", "-3"]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("--stock must be a whole number");
    const f = await run(["--faults", "kill-everything@3"]);
    expect(f.code).toBe(2);
    expect(f.out).toContain('"kill-everything@3" is not one of');
  });

  it("runs a sale through a handler kill, every invariant holds, and the report renders", async () => {
    mkdirSync(dir, { recursive: true });
    const report = join(dir, "report.html");
    const json = join(dir, "report.json");
    const r = await run([
      ...["--stock", "150", "--requests", "500", "--shoppers", "300", "--duration", "8"],
      ...["--faults", "kill-handler@2:1", "--report", report, "--json", json],
    ]);
    expect(r.out).toContain("every invariant holds");
    expect(r.code).toBe(0);
    const result = JSON.parse(readFileSync(json, "utf8")) as RehearsalResult;
    expect(result.ok).toBe(true);
    expect(result.faults.map((f) => [f.fault, f.error])).toEqual([["kill-handler", null]]);
    expect(result.summary.requests).toBe(500);
    expect(result.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "no oversell",
        "every request one final answer",
        "per-shopper limit",
        "holdfast audit verify",
        "availability view caught up",
      ]),
    );

    let chromium: string;
    try {
      chromium = await ensureTool("chromium");
    } catch (e) {
      console.warn(`SKIPPED the report in Chromium: ${String(e)}`);
      return;
    }
    const view = await viewInChromium(chromium, report);
    writeFileSync(join(dir, "report.png"), view.screenshot);
    expect(view.errors).toEqual([]);
    expect(view.title).toContain("ALL INVARIANTS HOLD");
    expect([...view.renderedCharts].sort()).toEqual(["answers", "latency", "queue", "stock"]);
    // A drawn chart has thousands of painted pixels (axes, grid, lines); an empty canvas has none.
    for (const id of ["answers", "latency", "queue", "stock"])
      expect(view.drawnPixels[id] ?? 0).toBeGreaterThan(2000);
    expect(readFileSync(report, "utf8")).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  }, 240_000);
});
