import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_VARIABLES, decodeConfig } from "../../infra/config/config.ts";

// compose.yaml cannot run on the build machines (no Docker), so this lints it: structure, healthchecks,
// dependencies, and that holdfast's containers get exactly the configuration infra/config decodes.
const at = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const compose = parse(readFileSync(at("../../compose.yaml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string> | string[];
  healthcheck?: { test?: unknown };
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: string[];
};

/** The variables config.ts reads, taken from its codec so a new variable there shows up here. */
const decodedVariables = new Set(CONFIG_VARIABLES);

/** Compose interpolation as a shell user would get it: `${X:-default}` → default, `${X:?msg}` → a value. */
const interpolate = (value: string): string =>
  value.replace(/\$\{([A-Z_]+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_, name: string, fallback?: string) =>
    fallback !== undefined ? fallback : name === "HOLDFAST_JWT_SECRET" ? "a-secret-from-the-operator" : "",
  );

const envOf = (s: Service): Record<string, string> => {
  if (Array.isArray(s.environment))
    return Object.fromEntries(
      s.environment.map((kv) => [kv.split("=")[0], kv.split("=").slice(1).join("=")]),
    );
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
};

const services = Object.entries(compose.services);
const holdfast = services.filter(([, s]) => s.build !== undefined);

describe("compose.yaml", () => {
  it("has the infrastructure servers and the five holdfast roles", () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(["kurrentdb", "kafka", "postgres", "redis", "elasticsearch"]),
    );
    const roles = holdfast.map(([, s]) => {
      const cmd = s.command ?? [];
      expect(cmd.slice(0, 2)).toEqual(["serve", "--roles"]);
      return cmd[2];
    });
    expect(roles.sort()).toEqual(["command-handler", "payments", "projector", "read-api", "write-api"]);
    expect(compose.services.kurrentdb?.image).toMatch(/kurrentdb/);
    expect(compose.services.kafka?.image).toMatch(/^apache\/kafka:3\.9\./);
    expect(compose.services.postgres?.image).toMatch(/^postgres:15/);
    expect(compose.services.redis?.image).toMatch(/^redis:7/);
    expect(compose.services.elasticsearch?.image).toMatch(/elasticsearch:8\./);
  });

  it("gives every service a healthcheck", () => {
    for (const [name, s] of services) expect(s.healthcheck?.test, `${name} has no healthcheck`).toBeDefined();
  });

  it("depends only on services that exist, with valid conditions", () => {
    const conditions = ["service_started", "service_healthy", "service_completed_successfully"];
    for (const [name, s] of services) {
      const deps = s.depends_on ?? {};
      const entries = Array.isArray(deps)
        ? deps.map((d) => [d, { condition: "service_started" }] as const)
        : Object.entries(deps);
      for (const [dep, { condition }] of entries) {
        expect(compose.services[dep], `${name} depends on unknown ${dep}`).toBeDefined();
        expect(dep).not.toBe(name);
        expect(conditions).toContain(condition);
      }
    }
  });

  it("declares every named volume it mounts", () => {
    for (const [, s] of services)
      for (const v of s.volumes ?? []) {
        const source = v.split(":")[0] as string;
        if (!source.startsWith(".") && !source.startsWith("/"))
          expect(compose.volumes).toHaveProperty(source);
      }
  });

  it("passes holdfast only variables infra/config decodes, and they decode (EventStoreDB as the store)", () => {
    expect(holdfast.length).toBe(5);
    for (const [name, s] of holdfast) {
      const env = envOf(s);
      for (const k of Object.keys(env))
        expect(decodedVariables, `${name}: ${k} is not decoded by config.ts`).toContain(k);
      const config = decodeConfig(env);
      if (E.isLeft(config)) throw new Error(`${name}: ${config.left.message}`);
      expect(config.right.eventStoreUrl).toMatch(/^esdb:\/\/kurrentdb:2113/);
      expect(config.right.kafkaBrokers).toEqual(["kafka:19092"]);
      const hosts = [config.right.databaseUrl, config.right.redisUrl, config.right.elasticsearchUrl].map(
        (u) => new URL(u).hostname,
      );
      expect(hosts).toEqual(["postgres", "redis", "elasticsearch"]);
    }
  });

  it("builds the roles from the Dockerfile whose entrypoint is the holdfast CLI", () => {
    const dockerfile = readFileSync(at("../../Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "ops\/bin\/holdfast\.mjs"\]/);
    for (const [, s] of holdfast) expect(s.build).toBe(".");
  });
});
