import { absurd } from "fp-ts/lib/function.js";
import { Client } from "@elastic/elasticsearch";
import * as E from "fp-ts/lib/Either.js";
import { makePostgresEventStore } from "../../infra/event-store/postgres/index.ts";
import { signToken } from "../../infra/http/auth.ts";
import type { EventStore } from "../../infra/event-store/port.ts";
import { readSideNamesFor } from "../../projections/names.ts";
import { deleteIndicesWithPrefix } from "../../projections/testing/elasticsearch.ts";
import { type RunningPaymentSimulator, startPaymentSimulator } from "../payment-simulator/server.ts";
import { freePort, type Harness, type ServeProcess, startHarness } from "../serve/testing/harness.ts";
import type { Progress } from "../stack/types.ts";
import type { FaultName, RehearseOptions } from "./options.ts";
import { type PrivateServer, startPrivateKafka, startPrivateRedis } from "./private-servers.ts";

/**
 * The holdfast a rehearsal runs against. Self-started: a throwaway database and namespace (the test
 * harness), three `holdfast serve` processes (command handler; write API; projector + read API +
 * payments) so each can be killed alone, a payment gateway simulator, and — when the faults ask for it — a
 * private Kafka and Redis that may be restarted and paused.
 */
export interface Deployment {
  readonly selfStarted: boolean;
  readonly writeBase: string;
  readonly readBase: string;
  /** Where the command handler's /metrics is (null when unknown: a running target serves it on its port). */
  readonly handlerMetrics: string;
  readonly store: EventStore | null;
  /** Environment for `holdfast audit verify` against this deployment's log. */
  readonly auditEnv: Readonly<Record<string, string>>;
  token(userId: string, admin?: boolean): Promise<string>;
  inject(fault: FaultName, forSeconds: number): Promise<void>;
  /** Handler log lines (self-started only). */
  handlerLog(): string;
  close(): Promise<void>;
}

export const startDeployment = async (opts: RehearseOptions, progress: Progress): Promise<Deployment> => {
  const wants = new Set(opts.faults.map((f) => f.fault));
  const kafka: PrivateServer | null = wants.has("restart-kafka") ? await startPrivateKafka(progress) : null;
  const redis: PrivateServer | null = wants.has("pause-redis") ? await startPrivateRedis(progress) : null;
  let h: Harness | null = null;
  let gateway: RunningPaymentSimulator | null = null;
  const procs: { handler: ServeProcess | null; write: ServeProcess | null; rest: ServeProcess | null } = {
    handler: null,
    write: null,
    rest: null,
  };
  const close = async () => {
    for (const p of [procs.write, procs.handler, procs.rest]) p?.child.kill("SIGKILL");
    if (h !== null) {
      const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? "http://127.0.0.1:9200" });
      await deleteIndicesWithPrefix(es, readSideNamesFor(h.ns.name).searchPrefix).catch(() => undefined);
      await es.close().catch(() => undefined);
      const admin = h.kafka.admin();
      await admin
        .connect()
        .then(() => admin.deleteTopics({ topics: [readSideNamesFor(h!.ns.name).integrationTopic] }))
        .catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await h.close().catch(() => undefined);
    }
    await gateway?.stop().catch(() => undefined);
    await kafka?.stop().catch(() => undefined);
    await redis?.stop().catch(() => undefined);
  };
  try {
    h = await startHarness("rehearse", {
      ...(kafka === null ? {} : { kafkaBrokers: [kafka.url] }),
      ...(redis === null ? {} : { redisUrl: redis.url }),
    });
    gateway = await startPaymentSimulator({
      port: 0,
      latencyMedianMs: 40,
      latencySigma: 0.4,
      declineRate: 0.05,
    });
    const env: Record<string, string> = { PAYMENT_GATEWAY_URL: gateway.url };
    if (kafka !== null) env.KAFKA_BROKERS = kafka.url;
    if (redis !== null) env.REDIS_URL = redis.url;
    const ports = { handler: await freePort(), write: await freePort() };
    const harness = h;
    // A killed process is started again like a supervisor would: until it is ready (a start can fail while
    // another fault, say a Kafka restart, is under way).
    const supervised = async (start: () => Promise<ServeProcess>): Promise<ServeProcess> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await start();
        } catch (e) {
          if (attempt >= 6) throw e;
          progress(`restart attempt ${attempt} failed: ${String(e).split("\n").slice(0, 1).join("")}`);
          progress(String(e).split("\n").slice(-8).join("\n"));
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    };
    const startHandler = () =>
      supervised(() => harness.serve("command-handler", { port: ports.handler, env }));
    const startWrite = () =>
      supervised(() => harness.serve("write-api", { port: ports.write, env, waitMs: 2000 }));
    progress("starting the command handler, the write API, and the projector + read API + payments");
    procs.handler = await startHandler();
    procs.write = await startWrite();
    procs.rest = await harness.serve("projector,read-api,payments", { env });
    const rest = procs.rest;
    const down = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
    return {
      selfStarted: true,
      writeBase: `http://127.0.0.1:${ports.write}`,
      readBase: `http://127.0.0.1:${rest.port}`,
      handlerMetrics: `http://127.0.0.1:${ports.handler}/metrics`,
      store: harness.store,
      auditEnv: { DATABASE_URL: harness.databaseUrl },
      token: (userId, admin = false) => harness.token(userId, admin),
      handlerLog: () => procs.handler?.output() ?? "",
      inject: async (fault, forSeconds) => {
        switch (fault) {
          case "kill-handler": {
            const p = procs.handler;
            p?.child.kill("SIGKILL");
            await p?.exited;
            await down(forSeconds);
            procs.handler = await startHandler();
            return;
          }
          case "kill-write-api": {
            const p = procs.write;
            p?.child.kill("SIGKILL");
            await p?.exited;
            await down(forSeconds);
            procs.write = await startWrite();
            return;
          }
          case "restart-kafka":
            return kafka?.restart(forSeconds);
          case "pause-redis":
            return redis?.pause(forSeconds);
          default:
            return absurd(fault);
        }
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
};

/**
 * A holdfast already running at `target` (every route on one port, as `holdfast serve` gives): tokens are
 * signed with HOLDFAST_JWT_SECRET and the log is read from DATABASE_URL, both from the decoded config.
 * Faults are refused for it (options.ts): a rehearsal only breaks what it started.
 */
export const targetDeployment = async (
  target: string,
  config: { readonly jwtSecret: string; readonly databaseUrl: string },
): Promise<Deployment> => {
  const base = target.replace(/\/+$/, "");
  const storeE = await makePostgresEventStore({ connectionString: config.databaseUrl, maxConnections: 2 })();
  const store = E.isRight(storeE) ? storeE.right : null;
  return {
    selfStarted: false,
    writeBase: base,
    readBase: base,
    handlerMetrics: `${base}/metrics`,
    store,
    auditEnv: { DATABASE_URL: config.databaseUrl },
    token: (userId, admin = false) => signToken(config.jwtSecret, { userId, admin }),
    inject: async (fault) => {
      throw new Error(`${fault}: faults need a holdfast the rehearsal started itself`);
    },
    handlerLog: () => "",
    close: async () => {
      await store?.close();
    },
  };
};
