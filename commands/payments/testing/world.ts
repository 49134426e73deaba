import * as E from "fp-ts/lib/Either.js";
import pg from "pg";
import { SkuCommandBody } from "../../../event-schemas/index.ts";
import { queuedCommand } from "../../../infra/command-queue/queued-command.ts";
import type { EventStore } from "../../../infra/event-store/port.ts";
import { makePostgresEventStore } from "../../../infra/event-store/postgres/index.ts";
import { makeHttpPaymentGateway } from "../../../infra/payment-gateway/http.ts";
import { silentLogger } from "../../../infra/observability/logger.ts";
import { type AttemptsStore, makePostgresAttemptsStore } from "../attempts-store.ts";
import { defaultSagaPolicy, type SagaPolicy } from "../policy.ts";
import { type RunningPaymentSaga, startPaymentSaga } from "../saga.ts";
import { type DirectAppendSink, type DirectDecision, makeDirectAppendSink } from "./direct-append-sink.ts";

/**
 * TEST HARNESS: the pieces a payment-saga test or benchmark wires together — an event store and the
 * saga's tables in one PostgreSQL database, the direct-append sink (standing in for the command queue and
 * handler), and a saga pointed at a gateway URL. Used by the integration tests, the child-process
 * harness (`saga-process.ts`) and `ops/bench/checkout.ts`.
 */
export interface SagaWorld {
  readonly store: EventStore;
  readonly pool: pg.Pool;
  readonly attempts: AttemptsStore;
  readonly sink: DirectAppendSink;
  startSaga(
    policy?: Partial<SagaPolicy>,
    opts?: { readonly timeoutMs?: number },
  ): Promise<RunningPaymentSaga>;
  /** Decide a command through the sink; throws when the store fails (a broken test setup). */
  send(skuId: string, body: SkuCommandBody): Promise<DirectDecision>;
  close(): Promise<void>;
}

export const testPolicy: SagaPolicy = {
  ...defaultSagaPolicy,
  maxChargeAttempts: 3,
  baseDelayMs: 20,
  maxDelayMs: 200,
  deadlineMs: 10_000,
  concurrency: 16,
};

export const openSagaWorld = async (databaseUrl: string, gatewayUrl: string): Promise<SagaWorld> => {
  const made = await makePostgresEventStore({ connectionString: databaseUrl, pollIntervalMs: 200 })();
  if (E.isLeft(made)) throw new Error(`event store: ${JSON.stringify(made.left)}`);
  const store = made.right;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
  pool.on("error", () => undefined);
  const attempts = makePostgresAttemptsStore(pool);
  const sink = makeDirectAppendSink(store);
  const sagas: RunningPaymentSaga[] = [];
  return {
    store,
    pool,
    attempts,
    sink,
    async startSaga(policy = {}, opts = {}) {
      const saga = await startPaymentSaga({
        store,
        gateway: makeHttpPaymentGateway({ baseUrl: gatewayUrl, timeoutMs: opts.timeoutMs ?? 500 }),
        attempts,
        sink,
        policy: { ...testPolicy, ...policy },
        logger: silentLogger(),
        batchSize: 100,
      });
      sagas.push(saga);
      return saga;
    },
    async send(skuId, body) {
      const r = await sink.decide(queuedCommand(skuId, body))();
      if (E.isLeft(r)) throw new Error(`sink: ${JSON.stringify(r.left)}`);
      return r.right;
    },
    async close() {
      for (const s of sagas) await s.stop().catch(() => undefined);
      await store.close();
      await pool.end();
    },
  };
};

/** List a SKU (price 2500 EUR cents) with `stock` units and a per-user limit of 5. */
export const listSkuBody = (skuId: string, stock: number): SkuCommandBody =>
  commandBody({
    type: "ListSku",
    skuId,
    name: `Test ${skuId}`,
    description: "payment saga test",
    priceCents: 2500,
    currency: "EUR",
    stock,
    perUserLimit: 5,
    holdSeconds: 120,
    saleStartsAt: null,
    saleEndsAt: null,
    tags: [],
  });

/** Decode a command body (so a test's typo is a clear failure, not a cast). */
export const commandBody = (raw: unknown): SkuCommandBody => {
  const r = SkuCommandBody.decode(raw);
  if (E.isLeft(r)) throw new Error(`not a command body: ${JSON.stringify(raw)}`);
  return r.right;
};
