import type { Tracing } from "../../infra/observability/tracing.ts";
import type { OrderToPay, PaymentOutcome } from "./outcome.ts";
import { messageOf } from "../../infra/errors/message-of.ts";

/**
 * Settling one order inside a `payment` span, a child of the checkout request's trace (the OrderPlaced
 * envelope's correlationId). Tracing off or absent: the settlement itself.
 */
export const tracedSettlement = async (
  tracing: Tracing | undefined,
  order: OrderToPay,
  settle: () => Promise<PaymentOutcome>,
): Promise<PaymentOutcome> => {
  if (tracing === undefined || !tracing.enabled) return settle();
  const span = tracing.start("payment", {
    kind: "client",
    parent: order.correlationId,
    attributes: { "holdfast.order_id": order.orderId, "holdfast.sku": order.skuId },
  });
  try {
    const outcome = await settle();
    span.setAttributes({ "holdfast.payment_outcome": outcome._tag });
    return outcome;
  } catch (e) {
    span.fail(messageOf(e));
    throw e;
  } finally {
    span.end();
  }
};
