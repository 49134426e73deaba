import * as E from "fp-ts/lib/Either.js";
import { SkuCommandBody } from "../../event-schemas/index.ts";
import { type CommandQueueConfig, openCommandQueue } from "../../infra/command-queue/open.ts";
import { queuedCommand } from "../../infra/command-queue/queued-command.ts";
import type { Logger } from "../../infra/observability/logger.ts";
import type { Namespace } from "../../infra/process/namespace.ts";

/** `holdfast serve --dev`: list the demo SKU `demo` (1,000 units) when it was never listed. */
export const listDemoSku = async (
  config: CommandQueueConfig,
  ns: Namespace,
  logger: Logger,
): Promise<void> => {
  const infra = await openCommandQueue(config, { topics: ns.topics, clientId: "holdfast-dev", logger });
  try {
    const known = await infra.registry.partitionOf("demo")();
    if (E.isLeft(known)) {
      logger.warn({ error: known.left }, "cannot tell whether the demo SKU is listed");
      return;
    }
    if (known.right !== null) return;
    const body = SkuCommandBody.decode({
      type: "ListSku",
      skuId: "demo",
      name: "Demo tee",
      description: "The demo SKU of holdfast serve --dev",
      priceCents: 2500,
      currency: "EUR",
      stock: 1000,
      perUserLimit: 2,
      holdSeconds: 120,
      saleStartsAt: null,
      saleEndsAt: null,
      tags: ["demo"],
    });
    if (E.isLeft(body)) throw new Error("the demo listing does not decode (a bug)");
    const r = await infra.queue.enqueue(queuedCommand("demo", body.right))();
    if (E.isLeft(r)) logger.warn({ error: r.left }, "could not list the demo SKU");
    else logger.info({ skuId: "demo" }, "listed the demo SKU");
  } finally {
    await infra.stop();
  }
};
