import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type * as t from "io-ts";
import {
  type ChargeRequest,
  type Charged,
  type GatewayError,
  type PaymentStatus,
  PaymentView,
  type StatusError,
} from "./types.ts";

export interface HttpPaymentGatewayOptions {
  /** e.g. `http://127.0.0.1:8090` (PAYMENT_GATEWAY_URL). */
  readonly baseUrl: string;
  /** Budget for one call, connection to last byte (default 2000 ms). */
  readonly timeoutMs?: number;
  /** Injected for tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

/** The HTTP adapter's shape (the saga's `PaymentGateway` port, `commands/payments/gateway-port.ts`). */
export interface HttpPaymentGateway {
  charge(request: ChargeRequest): TE.TaskEither<GatewayError, Charged>;
  status(key: string): TE.TaskEither<StatusError, PaymentStatus>;
}

type Answer = { readonly status: number; readonly body: unknown };

const describe = (e: unknown): string => {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const code = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : undefined;
    return code === undefined ? e.message : `${e.message} (${code})`;
  }
  return String(e);
};

const decodeView = (body: unknown): t.TypeOf<typeof PaymentView> | null => {
  const v = PaymentView.decode(body);
  return E.isRight(v) ? v.right : null;
};

/**
 * The payment gateway over HTTP. Every call carries `AbortSignal.timeout`, so a gateway that accepts and
 * never answers becomes a `Timeout` value instead of a stuck saga; every failure is a tagged value.
 *
 * @example
 *   const gw = makeHttpPaymentGateway({ baseUrl: config.paymentGatewayUrl, timeoutMs: 2000 });
 *   const r = await gw.charge({ key: orderId, amountCents, currency, paymentToken, reference: orderId })();
 */
export const makeHttpPaymentGateway = (opts: HttpPaymentGatewayOptions): HttpPaymentGateway => {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const doFetch = opts.fetch ?? fetch;
  const base = opts.baseUrl.replace(/\/+$/, "");

  const call = async (path: string, init: RequestInit): Promise<E.Either<StatusError, Answer>> => {
    try {
      const res = await doFetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.text();
      let body: unknown = null;
      try {
        body = text === "" ? null : JSON.parse(text);
      } catch {
        body = text;
      }
      return E.right({ status: res.status, body });
    } catch (e) {
      if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError"))
        return E.left({ _tag: "Timeout", afterMs: timeoutMs });
      return E.left({ _tag: "Unreachable", message: describe(e) });
    }
  };

  const unexpected = (a: Answer): StatusError =>
    a.status >= 500 || a.status < 400
      ? { _tag: "ServerError", status: a.status, message: JSON.stringify(a.body).slice(0, 200) }
      : { _tag: "Rejected", status: a.status, message: JSON.stringify(a.body).slice(0, 200) };

  return {
    charge: (request) => async () => {
      const r = await call("/payments", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": request.key },
        body: JSON.stringify({
          amountCents: request.amountCents,
          currency: request.currency,
          paymentToken: request.paymentToken,
          reference: request.reference,
        }),
      });
      if (E.isLeft(r)) return r;
      const view = decodeView(r.right.body);
      if (
        (r.right.status === 200 || r.right.status === 201) &&
        view?.status === "succeeded" &&
        view.paymentId !== null
      )
        return E.right({ _tag: "Charged", paymentId: view.paymentId });
      if (r.right.status === 402) return E.left({ _tag: "Declined", reason: view?.reason ?? "declined" });
      return E.left(unexpected(r.right));
    },
    status: (key) => async () => {
      const r = await call(`/payments/${encodeURIComponent(key)}`, { method: "GET" });
      if (E.isLeft(r)) return r;
      if (r.right.status === 404) return E.right({ _tag: "NotFound" });
      const view = decodeView(r.right.body);
      if (r.right.status === 200 && view !== null) {
        if (view.status === "succeeded" && view.paymentId !== null)
          return E.right({ _tag: "Succeeded", paymentId: view.paymentId });
        if (view.status === "declined")
          return E.right({ _tag: "Declined", reason: view.reason ?? "declined" });
      }
      return E.left(unexpected(r.right));
    },
  };
};
