import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import {
  authSettings,
  CONFIG_VARIABLES,
  DEFAULT_RATE_LIMITS,
  DEV_JWT_SECRET,
  decodeConfig,
  decodeConfigSlice,
  eventStoreSettings,
} from "./config.ts";

/** API.md "Configuration (environment)": every variable, its default, and a wrong value named. */
describe("the config codec", () => {
  const secret = { HOLDFAST_JWT_SECRET: "config-test-secret-0123" };

  it("decodes API.md's defaults", () => {
    const c = decodeConfig(secret);
    expect(E.isRight(c) && c.right).toEqual({
      databaseUrl: "postgres://postgres@127.0.0.1:5432/holdfast",
      eventStoreUrl: null,
      redisUrl: "redis://127.0.0.1:6379",
      kafkaBrokers: ["127.0.0.1:9092"],
      elasticsearchUrl: "http://127.0.0.1:9200",
      paymentGatewayUrl: "http://127.0.0.1:8090",
      jwtSecret: secret.HOLDFAST_JWT_SECRET,
      tokenMaxSeconds: 86_400,
      rateLimits: DEFAULT_RATE_LIMITS,
      httpPort: 8080,
      otlpEndpoint: null,
      checkpointKeyFile: null,
      testFault: null,
    });
  });

  it("reads every variable of API.md's table", () => {
    for (const v of [
      "DATABASE_URL",
      "EVENTSTORE_URL",
      "REDIS_URL",
      "KAFKA_BROKERS",
      "ELASTICSEARCH_URL",
      "PAYMENT_GATEWAY_URL",
      "HOLDFAST_JWT_SECRET",
      "HOLDFAST_RATE_LIMITS",
      "HOLDFAST_HTTP_PORT",
      "HOLDFAST_TOKEN_MAX_SECONDS",
      "OTEL_EXPORTER_OTLP_ENDPOINT",
    ])
      expect(CONFIG_VARIABLES).toContain(v);
  });

  it.each([
    ["DATABASE_URL", "mysql://db/holdfast"],
    ["EVENTSTORE_URL", "http://esdb:2113"],
    ["REDIS_URL", "not a url"],
    ["KAFKA_BROKERS", "kafka"],
    ["ELASTICSEARCH_URL", "ftp://es"],
    ["PAYMENT_GATEWAY_URL", "gateway"],
    ["HOLDFAST_JWT_SECRET", "short"],
    ["HOLDFAST_RATE_LIMITS", "{not json"],
    ["HOLDFAST_RATE_LIMITS", '{"ipRead":{"burst":0,"perSecond":1}}'],
    ["HOLDFAST_HTTP_PORT", "70000"],
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"],
  ])("refuses %s=%s, naming the variable", (variable, value) => {
    const r = decodeConfig({ ...secret, [variable]: value });
    expect(E.isLeft(r) && r.left.variable).toBe(variable);
    expect(E.isLeft(r) && r.left.message).toContain(variable);
  });

  it("takes the variables it is given, and `off` turns rate limiting off", () => {
    const c = decodeConfig({
      ...secret,
      EVENTSTORE_URL: "esdb://kurrentdb:2113?tls=false",
      KAFKA_BROKERS: "a:9092, b:9093",
      HOLDFAST_RATE_LIMITS: "off",
    });
    expect(E.isRight(c) && [c.right.eventStoreUrl, c.right.kafkaBrokers, c.right.rateLimits]).toEqual([
      "esdb://kurrentdb:2113?tls=false",
      ["a:9092", "b:9093"],
      null,
    ]);
  });

  it("requires the JWT secret, except under --dev, where an explicit one still wins", () => {
    const missing = decodeConfig({});
    expect(E.isLeft(missing) && missing.left.variable).toBe("HOLDFAST_JWT_SECRET");
    const dev = decodeConfig({}, { dev: true });
    expect(E.isRight(dev) && dev.right.jwtSecret).toBe(DEV_JWT_SECRET);
    const explicit = decodeConfig(secret, { dev: true });
    expect(E.isRight(explicit) && explicit.right.jwtSecret).toBe(secret.HOLDFAST_JWT_SECRET);
  });

  it("decodes a slice alone: a slice without tokens never asks for the secret", () => {
    const store = decodeConfigSlice(eventStoreSettings, { DATABASE_URL: "postgres://db:5432/x" });
    expect(E.isRight(store) && store.right).toEqual({
      databaseUrl: "postgres://db:5432/x",
      eventStoreUrl: null,
    });
    const auth = decodeConfigSlice(authSettings, {});
    expect(E.isLeft(auth) && auth.left.variable).toBe("HOLDFAST_JWT_SECRET");
    const wrong = decodeConfigSlice(eventStoreSettings, { DATABASE_URL: "redis://x" });
    expect(E.isLeft(wrong) && wrong.left.variable).toBe("DATABASE_URL");
  });
});
