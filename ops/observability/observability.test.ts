import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ensureTool } from "../stack/tools.ts";

// The operator's configuration in ops/observability: alert rules and their unit tests under promtool, the
// Prometheus config, the Grafana dashboard's queries (valid PromQL, only metrics holdfast exports), and
// the compose services that mount them.
const at = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const ROOT = at("../../");

/** Every metric name the code registers (`name: "holdfast_…"` or `const name = "holdfast_…"`), with histogram/counter suffixes. */
const exported = (() => {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      if (e === "node_modules" || e.startsWith(".")) continue;
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts") && !p.endsWith(".test.ts"))
        for (const m of readFileSync(p, "utf8").matchAll(/name(?:: | = )"(holdfast_[a-z_]+)"/g))
          names.add(m[1] as string);
    }
  };
  walk(ROOT);
  for (const n of [...names]) for (const s of ["_bucket", "_count", "_sum"]) names.add(`${n}${s}`);
  return names;
})();

const dashboard = JSON.parse(readFileSync(at("grafana/dashboards/holdfast.json"), "utf8")) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};
const dashboardExprs = dashboard.panels.flatMap((p) =>
  p.targets.map((t) => ({ title: p.title, expr: t.expr })),
);
const alerts = parse(readFileSync(at("alerts.yml"), "utf8")) as {
  groups: Array<{ rules: Array<{ alert: string; expr: string; annotations: { runbook: string } }> }>;
};
const metricsIn = (expr: string) => [...expr.matchAll(/\b(holdfast_[a-z_]+)/g)].map((m) => m[1] as string);

let promtool: string | null = null;
beforeAll(async () => {
  try {
    promtool = await ensureTool("promtool");
  } catch (e) {
    console.warn(`SKIPPED the promtool checks: ${String(e)}`);
  }
}, 300_000);

const promtoolRun = (args: string[]) => {
  const r = spawnSync(promtool as string, args, { cwd: at("."), encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

describe("alert rules", () => {
  it("pass promtool check rules and their unit tests", () => {
    if (promtool === null) return;
    const check = promtoolRun(["check", "rules", "alerts.yml"]);
    expect(check.out).toContain("SUCCESS");
    expect(check.status).toBe(0);
    const test = promtoolRun(["test", "rules", "alerts.test.yml"]);
    expect(test.out).toContain("SUCCESS");
    expect(test.status).toBe(0);
  });

  it("use only metrics holdfast exports, and point at a runbook section that exists", () => {
    const runbook = readFileSync(at("../RUNBOOK.md"), "utf8");
    const anchors = new Set(
      [...runbook.matchAll(/^#+ (.+)$/gm)].map((m) =>
        (m[1] as string)
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, "")
          .replace(/ /g, "-"),
      ),
    );
    for (const rule of alerts.groups.flatMap((g) => g.rules)) {
      for (const m of metricsIn(rule.expr)) expect(exported, `${rule.alert}: ${m}`).toContain(m);
      const anchor = rule.annotations.runbook.split("#")[1] ?? "";
      expect(anchors, `${rule.alert}: runbook #${anchor}`).toContain(anchor);
    }
  });
});

describe("the Grafana dashboard", () => {
  it("queries only metrics holdfast exports", () => {
    expect(dashboardExprs.length).toBeGreaterThan(10);
    for (const { title, expr } of dashboardExprs)
      for (const m of metricsIn(expr)) expect(exported, `${title}: ${m}`).toContain(m);
  });

  it("has queries that are valid PromQL (promtool, as recording rules)", () => {
    if (promtool === null) return;
    const rules = {
      groups: [
        {
          name: "dashboard",
          rules: dashboardExprs.map(({ expr }, i) => ({
            record: `dashboard:panel_${i}`,
            expr: expr.replaceAll("$__rate_interval", "1m").replaceAll("$sku", ".*"),
          })),
        },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), "holdfast-dashboard-"));
    writeFileSync(join(dir, "dashboard.rules.yml"), stringify(rules));
    const r = promtoolRun(["check", "rules", join(dir, "dashboard.rules.yml")]);
    expect(r.out).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });
});

describe("Prometheus and compose", () => {
  it("the Prometheus config passes promtool check config and scrapes every holdfast role of compose", () => {
    const compose = parse(readFileSync(at("../../compose.yaml"), "utf8"), { merge: true }) as {
      services: Record<string, { build?: unknown; volumes?: string[] }>;
    };
    const roles = Object.entries(compose.services)
      .filter(([, s]) => s.build !== undefined)
      .map(([n]) => `${n}:8080`);
    const config = parse(readFileSync(at("prometheus.yml"), "utf8")) as {
      rule_files: string[];
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    expect(config.scrape_configs.flatMap((s) => s.static_configs.flatMap((c) => c.targets)).sort()).toEqual(
      roles.sort(),
    );
    // compose mounts the files Prometheus and Grafana read.
    const mounts = Object.values(compose.services).flatMap((s) => s.volumes ?? []);
    for (const path of ["prometheus.yml", "alerts.yml", "grafana/provisioning", "grafana/dashboards"])
      expect(
        mounts.some((m) => m.startsWith(`./ops/observability/${path}:`)),
        path,
      ).toBe(true);
    expect(mounts).toContain(`./ops/observability/alerts.yml:${config.rule_files[0]}:ro`);
    if (promtool === null) return;
    const dir = mkdtempSync(join(tmpdir(), "holdfast-prometheus-"));
    writeFileSync(join(dir, "prometheus.yml"), stringify({ ...config, rule_files: [at("alerts.yml")] }));
    const r = spawnSync(promtool, ["check", "config", join(dir, "prometheus.yml")], { encoding: "utf8" });
    expect(`${r.stdout}${r.stderr}`).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });
});
