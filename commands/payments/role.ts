import { makeHttpPaymentGateway } from "../../infra/payment-gateway/http.ts";
import type { Role } from "../../infra/process/role.ts";
import type { CommandTopics } from "../queue/topics.ts";
import { makePaymentMetrics } from "./metrics.ts";
import { defaultSagaPolicy, type SagaPolicy } from "./policy.ts";
import { type PaymentSagaDeps, startPaymentSaga } from "./saga.ts";
import { openEventStore, openPaymentsClients } from "./wiring.ts";

/**
 * Role `payments`: the payment saga's composition root. It follows the event store's global feed from
 * its checkpoint, charges each placed order at PAYMENT_GATEWAY_URL and enqueues the outcome on the
 * command queue. Under `holdfast serve --dev` the gateway simulator is started by `serve` itself
 * (`startPaymentSimulator`), not here, so this role never fakes a gateway.
 */
export interface PaymentsRoleOptions {
  /** Command topics (`holdfast serve --namespace`); default production's. */
  readonly topics?: CommandTopics;
  /** Checkpoint name (default `payments`); a namespaced deployment should use its own. */
  readonly checkpointName?: string;
  readonly policy?: Partial<SagaPolicy>;
  /** Budget of one gateway call (default 2,000 ms). */
  readonly gatewayTimeoutMs?: number;
}

export const makePaymentsRole = (opts: PaymentsRoleOptions = {}): Role => ({
  name: "payments",
  async start(ctx) {
    const logger = ctx.logger.child({ role: "payments" });
    const clients = await openPaymentsClients(ctx.config, logger, opts.topics);
    const store = await openEventStore(ctx.config).catch(async (e: unknown) => {
      await clients.close();
      throw e;
    });
    const metrics = makePaymentMetrics(ctx.registry);
    let failed: string | null = null;
    let stopped = false;
    const sagaDeps: PaymentSagaDeps = {
      store,
      gateway: makeHttpPaymentGateway({
        baseUrl: ctx.config.paymentGatewayUrl,
        timeoutMs: opts.gatewayTimeoutMs ?? 2_000,
      }),
      attempts: clients.attempts,
      sink: clients.queue,
      policy: { ...defaultSagaPolicy, ...opts.policy },
      logger,
      ...(opts.checkpointName === undefined ? {} : { name: opts.checkpointName }),
      onOutcome: (_order, outcome) => metrics.outcomes.inc({ outcome: outcome._tag }),
      onCall: (call, result) => metrics.calls.inc({ call, result }),
      ...(ctx.tracing === undefined ? {} : { tracing: ctx.tracing }),
    };
    let saga = await startPaymentSaga(sagaDeps);
    // Supervised like the Kafka consumers: when the saga's feed gives up (the database away for longer
    // than the subscription tolerates), it is started again from its checkpoint with backoff, instead of
    // staying dead behind a not-ready probe.
    const watch = (running: typeof saga) =>
      running.done.catch(async (e: unknown) => {
        if (stopped) return;
        failed = e instanceof Error ? e.message : String(e);
        logger.error({ err: e }, "payment saga: subscription ended; restarting");
        for (let attempt = 0; !stopped; attempt++) {
          await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
          if (stopped) return;
          try {
            saga = await startPaymentSaga(sagaDeps);
            failed = null;
            logger.warn({ attempt: attempt + 1 }, "payment saga restarted from its checkpoint");
            void watch(saga);
            return;
          } catch (e2) {
            failed = e2 instanceof Error ? e2.message : String(e2);
          }
        }
      });
    void watch(saga);
    return {
      readiness: [{ name: "payments", check: async () => failed }],
      async stop() {
        stopped = true;
        await saga.stop();
        await store.close();
        await clients.close();
      },
    };
  },
});

/** The payments role with production's topics and checkpoint. */
export const paymentsRole: Role = makePaymentsRole();
