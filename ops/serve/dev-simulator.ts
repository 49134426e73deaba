import type { Logger } from "../../infra/observability/logger.ts";
import { type RunningPaymentSimulator, startPaymentSimulator } from "../payment-simulator/server.ts";

/**
 * `holdfast serve --dev` without an explicit `PAYMENT_GATEWAY_URL`: the payment gateway simulator on
 * the default address (API.md: 127.0.0.1:8090) when that port is free, else on any free port, and the
 * config the roles get points at wherever it listens. Says which on stderr and in the log, so the
 * person at the laptop knows where the gateway went.
 */
export const startDevSimulator = async <C extends { readonly paymentGatewayUrl: string }>(
  config: C,
  logger: Logger,
  say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<{ readonly simulator: RunningPaymentSimulator; readonly config: C }> => {
  const wanted = new URL(config.paymentGatewayUrl);
  const host = wanted.hostname;
  const port = Number(wanted.port || 80);
  let simulator: RunningPaymentSimulator;
  let note = "";
  try {
    simulator = await startPaymentSimulator({ host, port });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
    simulator = await startPaymentSimulator({ host, port: 0 });
    note = ` (port ${port} was taken; set PAYMENT_GATEWAY_URL to choose)`;
  }
  logger.info({ url: simulator.url, preferredPort: port }, "payment gateway simulator started (--dev)");
  say(`holdfast serve --dev: payment gateway simulator at ${simulator.url}${note}`);
  return { simulator, config: { ...config, paymentGatewayUrl: simulator.url } };
};
