import * as t from "io-ts";

/**
 * The payment gateway's wire contract as holdfast uses it (the simulator in `ops/payment-simulator/`
 * speaks it): `POST /payments` with an `Idempotency-Key`, `GET /payments/{key}`.
 */

export interface ChargeRequest {
  /** The idempotency key: the order id, so a re-sent charge is never a second charge. */
  readonly key: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly paymentToken: string;
  /** Shown on the gateway's side (the order id too). */
  readonly reference: string;
}

export const PaymentView = t.type({
  key: t.string,
  status: t.keyof({ succeeded: null, declined: null }),
  paymentId: t.union([t.string, t.null]),
  reason: t.union([t.string, t.null]),
});

export interface Charged {
  readonly _tag: "Charged";
  readonly paymentId: string;
}

/** Why a call did not end with a charge. Only `Declined` is a definite answer; the rest are ambiguous. */
export type GatewayError =
  | { readonly _tag: "Declined"; readonly reason: string }
  /** No answer within the time budget: the gateway may or may not have acted. */
  | { readonly _tag: "Timeout"; readonly afterMs: number }
  /** 5xx (or an unreadable answer): the gateway may or may not have acted. */
  | { readonly _tag: "ServerError"; readonly status: number; readonly message: string }
  /** Refused or dropped connection: when dropped after sending, the gateway may have acted. */
  | { readonly _tag: "Unreachable"; readonly message: string }
  /** 4xx other than a decline (bad request, key reused with another body): needs a person. */
  | { readonly _tag: "Rejected"; readonly status: number; readonly message: string };

/** What the gateway knows about a key. */
export type PaymentStatus =
  | { readonly _tag: "Succeeded"; readonly paymentId: string }
  | { readonly _tag: "Declined"; readonly reason: string }
  | { readonly _tag: "NotFound" };

export type StatusError = Exclude<GatewayError, { readonly _tag: "Declined" }>;
