import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:net";
import * as E from "fp-ts/lib/Either.js";
import { Kafka, logLevel } from "kafkajs";
import { Redis } from "ioredis";
import {
  type DecodedEvent,
  decodeEvent,
  type EventEnvelope,
  streamIdOf,
} from "../../../event-schemas/index.ts";
import { signToken } from "../../../infra/http/auth.ts";
import { makePostgresEventStore } from "../../../infra/event-store/postgres/index.ts";
import { createTestDatabase } from "../../../infra/event-store/postgres/test-database.ts";
import type { EventStore } from "../../../infra/event-store/port.ts";
import { type Namespace, namespaceOf } from "../../../infra/process/namespace.ts";
import { deleteKeysWithPrefix } from "../../../projections/testing/redis.ts";

/**
 * A throwaway holdfast for integration tests: its own database, topics, Redis prefix and consumer group
 * (the namespace), with `holdfast serve` processes started as children so a test can SIGKILL one.
 * Reads server addresses from API.md's variables with their defaults.
 */
export const SECRET = "integration-test-secret-0123456789";
const ROOT = new URL("../../../", import.meta.url).pathname;

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a !== null ? resolve(a.port) : reject(new Error("no port"))));
    });
  });

export const waitFor = async <A>(
  what: string,
  probe: () => Promise<A | null | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<A> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
};

export interface ServeProcess {
  readonly port: number;
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

export interface Harness {
  readonly ns: Namespace;
  readonly databaseUrl: string;
  readonly redis: Redis;
  readonly kafka: Kafka;
  readonly store: EventStore;
  serve(
    roles: string,
    opts?: {
      readonly waitMs?: number;
      readonly handlerGroup?: string;
      readonly rateLimits?: string;
      /** Extra environment (e.g. `HOLDFAST_TEST_FAULT`) and `holdfast serve` arguments (e.g. `--log-level debug`). */
      readonly args?: ReadonlyArray<string>;
      readonly env?: Readonly<Record<string, string>>;
      /** `holdfast serve --dev`, without PAYMENT_GATEWAY_URL (so the simulator starts beside it). */
      readonly dev?: boolean;
      /** Listen on this port (a restarted process keeps its address); default a free one. */
      readonly port?: number;
    },
  ): Promise<ServeProcess>;
  token(userId: string, admin?: boolean): Promise<string>;
  /** Every event of the SKU's stream, decoded. */
  stream(skuId: string): Promise<DecodedEvent[]>;
  envelopes(skuId: string): Promise<EventEnvelope[]>;
  /** Sum of the latest offsets of every partition of a topic (messages ever written). */
  topicEnd(topic: string): Promise<number>;
  close(): Promise<void>;
}

export const startHarness = async (
  label: string,
  servers: {
    /** A private Redis or Kafka (fault tests that stop them); default API.md's variables. */
    readonly redisUrl?: string;
    readonly kafkaBrokers?: ReadonlyArray<string>;
  } = {},
): Promise<Harness> => {
  const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/holdfast";
  const db = await createTestDatabase(serverUrl, label);
  const ns = namespaceOf(`t-${label}-${randomBytes(4).toString("hex")}`);
  const redisUrl = servers.redisUrl ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const brokers = [...(servers.kafkaBrokers ?? (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(","))];
  const redis = new Redis(redisUrl);
  // A fault test restarts its private Redis: the client reconnects by itself.
  redis.on("error", () => undefined);
  const kafka = new Kafka({ clientId: `test-${label}`, brokers, logLevel: logLevel.NOTHING });
  const storeE = await makePostgresEventStore({ connectionString: db.url, maxConnections: 2 })();
  if (E.isLeft(storeE)) throw new Error(JSON.stringify(storeE.left));
  const store = storeE.right;
  const children = new Set<ServeProcess>();

  const envelopes = async (skuId: string) => {
    const r = await store.readStream(streamIdOf(skuId))();
    if (E.isLeft(r)) throw new Error(JSON.stringify(r.left));
    return r.right.map((x) => x.envelope);
  };

  return {
    ns,
    databaseUrl: db.url,
    redis,
    kafka,
    store,
    serve: async (roles, opts = {}) => {
      const port = opts.port ?? (await freePort());
      const args = [
        "ops/bin/holdfast.mjs",
        "serve",
        "--roles",
        roles,
        "--namespace",
        ns.name,
        "--host",
        "127.0.0.1",
      ];
      if (opts.waitMs !== undefined) args.push("--wait-ms", String(opts.waitMs));
      if (opts.handlerGroup !== undefined) args.push("--handler-group", opts.handlerGroup);
      if (opts.dev === true) args.push("--dev");
      const { PAYMENT_GATEWAY_URL: _explicitGateway, ...inherited } = process.env;
      args.push(...(opts.args ?? []));
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        env: {
          ...(opts.dev === true ? inherited : process.env),
          DATABASE_URL: db.url,
          REDIS_URL: redisUrl,
          KAFKA_BROKERS: brokers.join(","),
          HOLDFAST_JWT_SECRET: SECRET,
          HOLDFAST_HTTP_PORT: String(port),
          HOLDFAST_RATE_LIMITS: opts.rateLimits ?? "off",
          ...opts.env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout?.on("data", (d: Buffer) => {
        out = (out + d.toString()).slice(-200_000);
      });
      child.stderr?.on("data", (d: Buffer) => {
        out = (out + d.toString()).slice(-200_000);
      });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const proc: ServeProcess = { port, child, output: () => out, exited };
      children.add(proc);
      exited.then(() => children.delete(proc));
      // A process that exits while starting fails the wait at once (not after the whole timeout).
      const died = exited.then((code) => {
        throw new Error(`serve --roles ${roles} exited (${code}) while starting`);
      });
      died.catch(() => undefined);
      const ready = waitFor(
        `holdfast serve --roles ${roles} to be ready`,
        async () => {
          if (child.exitCode !== null) throw new Error(`serve exited: ${out}`);
          const r = await fetch(`http://127.0.0.1:${port}/health/ready`);
          return r.status === 200;
        },
        60_000,
        200,
      );
      await Promise.race([ready, died]).catch((e: unknown) => {
        child.kill("SIGKILL");
        throw new Error(`${String(e)}\n${out.slice(-3000)}`);
      });
      return proc;
    },
    token: (userId, admin = false) => signToken(SECRET, { userId, admin }),
    envelopes,
    stream: async (skuId) =>
      (await envelopes(skuId)).map((e) => {
        const d = decodeEvent(e);
        if (E.isLeft(d)) throw new Error(JSON.stringify(d.left));
        return d.right;
      }),
    topicEnd: async (topic) => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return offsets.reduce((n, o) => n + Number(o.high), 0);
      } finally {
        await admin.disconnect();
      }
    },
    close: async () => {
      for (const c of children) {
        c.child.kill("SIGKILL");
        await c.exited;
      }
      await store.close();
      await dropNamespace(kafka, redis, ns);
      redis.disconnect();
      await db.drop();
    },
  };
};

/** A small HTTP client for the write routes. */
export const client = (port: number) => {
  const base = `http://127.0.0.1:${port}`;
  const post = async (path: string, token: string, body: unknown, key: string | null = randomUUID()) => {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/json",
    };
    if (key !== null) headers["Idempotency-Key"] = key;
    const r = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
    return { status: r.status, headers: r.headers, body: (await r.json()) as Record<string, unknown> };
  };
  return {
    base,
    post,
    listSku: (admin: string, listing: Record<string, unknown>) =>
      post("/v1/skus", admin, {
        name: "Tee",
        description: "",
        priceCents: 2000,
        currency: "EUR",
        ...listing,
      }),
    reserve: (
      token: string,
      skuId: string,
      body: unknown = { quantity: 1 },
      key: string | null = randomUUID(),
    ) => post(`/v1/skus/${skuId}/reservations`, token, body, key),
    request: async (token: string, requestId: string) => {
      const r = await fetch(`${base}/v1/requests/${requestId}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    },
  };
};

/**
 * Remove what a namespaced deployment left in the shared servers: its command and dead-letter topics,
 * its handler's consumer group and its Redis keys. Tests and benchmarks call it when they finish.
 */
export const dropNamespace = async (kafka: Kafka, redis: Redis, ns: Namespace): Promise<void> => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [ns.topics.commands, ns.topics.deadLetters] }).catch(() => undefined);
  await admin.deleteGroups([ns.handlerGroup]).catch(() => undefined);
  await admin.disconnect();
  await deleteKeysWithPrefix(redis, ns.redisPrefix);
};

/**
 * A metric of the process serving `port`, summed over its label sets (e.g. every SKU and command of
 * `holdfast_commands_decided_total`); 0 when it has no series yet.
 */
export const metricTotal = async (port: number, name: string): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
};
