import type { CommandTopics } from "../../infra/command-queue/topics.ts";
import { eventStoreSettings, paymentGatewaySettings } from "../../infra/config/config.ts";
import { openEventStore } from "../../infra/event-store/index.ts";
import { makeHttpPaymentGateway } from "../../infra/payment-gateway/http.ts";
import type { Role } from "../../infra/process/role.ts";
import { makePaymentMetrics } from "./metrics.ts";
import { defaultSagaPolicy, type SagaPolicy } from "./policy.ts";
import { superviseSaga } from "./supervised.ts";
import { openPaymentsClients, paymentsClientSettings } from "./clients.ts";

/** The config the payments role reads: the event store, the saga's clients, the gateway. */
export const paymentsSettings = {
  ...eventStoreSettings,
  ...paymentsClientSettings,
  ...paymentGatewaySettings,
};

export interface PaymentsRoleOptions {
  /** Command topics (`holdfast serve --namespace`); default production's. */
  readonly topics?: CommandTopics;
  /** Checkpoint name (default `payments`); a namespaced deployment should use its own. */
  readonly checkpointName?: string;
  readonly policy?: Partial<SagaPolicy>;
  /** Budget of one gateway call (default 2,000 ms). */
  readonly gatewayTimeoutMs?: number;
}

/**
 * Role `payments`, the payment saga's composition root. It follows the event store's global feed (either
 * store) from its checkpoint, charges each placed order at PAYMENT_GATEWAY_URL and enqueues the outcome
 * on the command queue. Under `holdfast serve --dev` the gateway simulator is started by `serve` itself
 * (ops/serve/dev-simulator.ts), not here, so this role never fakes a gateway.
 */
export const makePaymentsRole = (opts: PaymentsRoleOptions = {}): Role<typeof paymentsSettings> => ({
  name: "payments",
  settings: paymentsSettings,
  async start(ctx) {
    const { config } = ctx;
    const logger = ctx.logger.child({ role: "payments" });
    // 1. Clients: the saga's tables and the command queue, then the event store.
    const clients = await openPaymentsClients(config, logger, opts.topics);
    const store = await openEventStore(config, { name: "holdfast-payments" }).catch(async (e: unknown) => {
      await clients.close();
      throw e;
    });
    // 2. The saga, supervised.
    const metrics = makePaymentMetrics(ctx.registry);
    const saga = await superviseSaga(
      {
        store,
        gateway: makeHttpPaymentGateway({
          baseUrl: config.paymentGatewayUrl,
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
      },
      logger,
    );
    return {
      readiness: [{ name: "payments", check: async () => saga.failed() }],
      async stop() {
        await saga.stop();
        await store.close();
        await clients.close();
      },
    };
  },
});
