import type { Server } from "node:http";
import type { Socket } from "node:net";
import { serve } from "@hono/node-server";
import { setTimeout as sleep } from "node:timers/promises";
import { makeSimulatorApp } from "./app.ts";
import type { RandomSource } from "../../infra/retry/backoff.ts";
import { type Behaviour, type BehaviourPatch, defaultBehaviour } from "./behaviour.ts";
import { type Ledger, type LedgerStats, makeLedger } from "./ledger.ts";

export interface PaymentSimulatorOptions extends BehaviourPatch {
  /** Default 8090; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default `Math.random`; inject a seeded source for reproducible runs. */
  readonly random?: RandomSource;
}

/** A running simulator. `goDown()`/`comeUp()` close and reopen the port while keeping every payment. */
export interface RunningPaymentSimulator {
  readonly url: string;
  readonly port: number;
  readonly behaviour: Behaviour;
  configure(patch: BehaviourPatch): void;
  stats(): LedgerStats;
  /** Stop listening and drop every open connection (clients see refused or reset connections). */
  goDown(): Promise<void>;
  /** Listen again on the same port, with the same ledger. */
  comeUp(): Promise<void>;
  stop(): Promise<void>;
}

const listen = (app: ReturnType<typeof makeSimulatorApp>, port: number, host: string) =>
  new Promise<{ server: Server; port: number; sockets: Set<Socket> }>((resolve, reject) => {
    const sockets = new Set<Socket>();
    const server = serve({ fetch: app.fetch, port, hostname: host }, (info) =>
      resolve({ server, port: info.port, sockets }),
    ) as Server;
    server.on("connection", (s: Socket) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    server.once("error", reject);
  });

const close = (server: Server, sockets: Set<Socket>) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    // Hanging requests never finish by themselves: drop their sockets so close() can complete.
    for (const s of sockets) s.destroy();
  });

/**
 * Start the payment gateway simulator (used by `holdfast serve --dev`, `ops/payment-simulator/main.ts`,
 * tests and benchmarks).
 *
 * @example
 *   const sim = await startPaymentSimulator({ port: 0, latencyMedianMs: 100, latencySigma: 0.3 });
 *   // PAYMENT_GATEWAY_URL = sim.url
 *   await sim.stop();
 */
export const startPaymentSimulator = async (
  opts: PaymentSimulatorOptions = {},
): Promise<RunningPaymentSimulator> => {
  const { port: wantedPort = 8090, host = "127.0.0.1", random = Math.random, ...patch } = opts;
  const behaviour: Behaviour = { ...defaultBehaviour, script: [], keyScripts: {}, ...patch };
  const ledger: Ledger = makeLedger();
  const app = makeSimulatorApp({
    behaviour,
    ledger,
    random,
    sleep: (ms) => sleep(ms),
    now: () => new Date(),
  });
  let current: { server: Server; port: number; sockets: Set<Socket> } | null = await listen(
    app,
    wantedPort,
    host,
  );
  const port = current.port;
  const goDown = async () => {
    if (current === null) return;
    const { server, sockets } = current;
    current = null;
    await close(server, sockets);
  };
  return {
    url: `http://${host}:${port}`,
    port,
    behaviour,
    configure: (p) => Object.assign(behaviour, p),
    stats: () => ledger.stats(),
    goDown,
    async comeUp() {
      if (current !== null) return;
      current = await listen(app, port, host);
    },
    stop: goDown,
  };
};
