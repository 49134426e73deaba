import type { Logger } from "../../infra/observability/logger.ts";
import { type PaymentSagaDeps, type RunningPaymentSaga, startPaymentSaga } from "./saga.ts";
import { messageOf } from "../../infra/errors/message-of.ts";

export interface SupervisedSaga {
  /** Why the saga is down (between a failure and its restart), or `null` while it runs. */
  failed(): string | null;
  stop(): Promise<void>;
}

/**
 * The payment saga, supervised like the Kafka consumers: when its feed gives up (the database away for
 * longer than the subscription tolerates), it is started again from its checkpoint with backoff
 * (250 ms doubling, at most 5 s), instead of staying dead behind a not-ready probe.
 */
export const superviseSaga = async (deps: PaymentSagaDeps, logger: Logger): Promise<SupervisedSaga> => {
  let failed: string | null = null;
  let stopped = false;
  let saga = await startPaymentSaga(deps);
  const watch = (running: RunningPaymentSaga) =>
    running.done.catch(async (e: unknown) => {
      if (stopped) return;
      failed = messageOf(e);
      logger.error({ err: e }, "payment saga: subscription ended; restarting");
      for (let attempt = 0; !stopped; attempt++) {
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
        if (stopped) return;
        try {
          saga = await startPaymentSaga(deps);
          failed = null;
          logger.warn({ attempt: attempt + 1 }, "payment saga restarted from its checkpoint");
          void watch(saga);
          return;
        } catch (e2) {
          failed = messageOf(e2);
        }
      }
    });
  void watch(saga);
  return {
    failed: () => failed,
    stop: async () => {
      stopped = true;
      await saga.stop();
    },
  };
};
