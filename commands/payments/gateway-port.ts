import type * as TE from "fp-ts/lib/TaskEither.js";
import type {
  ChargeRequest,
  Charged,
  GatewayError,
  PaymentStatus,
  StatusError,
} from "../../infra/payment-gateway/types.ts";

export type { ChargeRequest, Charged, GatewayError, PaymentStatus, StatusError };

/**
 * What the payment saga needs from a payment gateway. `charge` is idempotent per `request.key` (the order
 * id): re-sending after an ambiguous failure never charges twice. `status` answers whether a key was
 * charged, which is how the saga settles a timeout. Adapter: `infra/payment-gateway/http.ts`.
 */
export interface PaymentGateway {
  charge(request: ChargeRequest): TE.TaskEither<GatewayError, Charged>;
  status(key: string): TE.TaskEither<StatusError, PaymentStatus>;
}
