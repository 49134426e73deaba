import { absurd } from "fp-ts/lib/function.js";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Outcome } from "../event-schemas/index.ts";
import { problem, problemOfRefusal } from "../infra/http/problem.ts";

/** The status and body API.md gives an accepted outcome. */
export const acceptedBody = (
  o: Extract<Outcome, { status: "accepted" }>,
): { readonly status: ContentfulStatusCode; readonly body: Record<string, unknown> } => {
  const r = o.result;
  switch (r.kind) {
    case "reserved":
      return {
        status: 201,
        body: {
          reservationId: r.reservationId,
          skuId: o.skuId,
          quantity: r.quantity,
          expiresAt: r.expiresAt,
          revision: o.revision,
        },
      };
    case "listed":
      return { status: 201, body: { skuId: o.skuId, revision: o.revision } };
    case "stock-added":
      return { status: 200, body: { skuId: o.skuId, stock: r.stock, revision: o.revision } };
    case "closed":
      return { status: 200, body: { skuId: o.skuId, status: "closed", revision: o.revision } };
    case "cancelled":
      return {
        status: 200,
        body: { reservationId: r.reservationId, status: "cancelled", revision: o.revision },
      };
    case "order-placed":
      return { status: 202, body: { orderId: r.orderId, status: "pending_payment" } };
    case "done":
      return { status: 200, body: { requestId: o.requestId, status: "done", revision: o.revision } };
    default:
      return absurd(r);
  }
};

/** Answer with an outcome: its 2xx body, or its problem (`problemOfRefusal`). */
export const respondWithOutcome = (c: Context, o: Outcome): Response => {
  switch (o.status) {
    case "accepted": {
      const { status, body } = acceptedBody(o);
      return c.json(body, status);
    }
    case "refused":
      return problem(c, problemOfRefusal[o.reason], o.detail, {
        requestId: o.requestId,
        revision: o.revision,
      });
    default:
      return absurd(o);
  }
};

/** 202: the decision did not arrive within the wait budget; poll `Location`. */
export const respondPending = (
  c: Context,
  requestId: string,
  extra: Record<string, unknown> = {},
): Response => {
  c.header("Location", `/v1/requests/${requestId}`);
  return c.json({ requestId, status: "pending", ...extra }, 202);
};

/**
 * The close route's answer: closing a closed sale changes nothing, so the handler answers "done"
 * (`{requestId, status:"done", revision}`); API.md answers every successful close with
 * `{skuId, status:"closed", revision}`, first or not, fresh or replayed.
 */
export const asCloseAnswer = async (c: Context, skuId: string, res: Response): Promise<Response> => {
  if (res.status !== 200) return res;
  const body = (await res
    .clone()
    .json()
    .catch(() => null)) as { status?: unknown; revision?: unknown } | null;
  if (body === null || body.status !== "done") return res;
  return c.json({ skuId, status: "closed", revision: body.revision }, 200);
};
