import type * as E from "fp-ts/lib/Either.js";
import type { MiddlewareHandler } from "hono";
import type { Outcome } from "../event-schemas/index.ts";
import type { CommandQueue } from "../infra/command-queue/port.ts";
import type { RateLimits } from "../infra/config/config.ts";
import type { Principal } from "../infra/http/auth.ts";
import type { EdgeAvailability } from "../infra/redis/edge-availability.ts";
import type { Logger } from "../infra/observability/logger.ts";
import type { IdempotencyStore, RefStore } from "../infra/redis/idempotency.ts";
import type { OutcomeStoreError } from "../infra/redis/outcomes.ts";
import type { RateLimiter } from "../infra/redis/rate-limit.ts";

type SkuListed = E.Either<{ readonly _tag: "RegistryUnavailable" }, boolean>;

/**
 * Everything the write API needs, as ports. The composition root (`write-api/role.ts`) wires
 * the Kafka command queue, the Redis stores and the partition registry in; unit tests wire in-memory
 * fakes. `enqueue` is the command queue's port (`infra/command-queue/port.ts`).
 */
export interface WriteApiDeps {
  readonly verify: (token: string) => Promise<Principal | null>;
  readonly enqueue: CommandQueue["enqueue"];
  /**
   * Whether the SKU was ever listed (it has a partition); Left when the registry did not answer. A
   * plain value when it is known without I/O.
   */
  readonly skuListed: (skuId: string) => SkuListed | Promise<SkuListed>;
  /** The SKU's figures for the sold-out edge check (see `sold-out.ts` and `edge-availability.ts`). */
  readonly availability: EdgeAvailability;
  readonly idempotency: IdempotencyStore;
  readonly refs: RefStore;
  readonly outcomes: {
    /** The reply channel of this process. */
    readonly replyTo: string;
    /** Wait for a request's outcome on the reply channel, `null` after `timeoutMs`. */
    readonly expect: (requestId: string, timeoutMs: number) => Promise<Outcome | null>;
    /** The recorded outcome (the Redis key), `null` while pending; Left when Redis did not answer. */
    readonly read: (requestId: string) => Promise<E.Either<OutcomeStoreError, Outcome | null>>;
  };
  /** `null`: limiting off (`HOLDFAST_RATE_LIMITS=off`). */
  readonly rateLimits: { readonly limiter: RateLimiter; readonly limits: RateLimits } | null;
  /** How long a request body may take to arrive in full (ms; default `BODY_DEADLINE_MS`, 10 s). */
  readonly bodyDeadlineMs?: number;
  /** How long a request waits for its decision before answering 202 (ms). */
  readonly waitBudgetMs: number;
  readonly newId: () => string;
  readonly now: () => Date;
  readonly logger: Logger;
  /**
   * Test builds only (`HOLDFAST_TEST_FAULT=kill-after-claim`): called right after a fresh claim, before
   * the enqueue, with the Idempotency-Key; the hook kills the process for keys it was told to.
   */
  readonly faultAfterClaim?: (key: string) => void;
  /** Admission control run before any other work on write routes (`overload.ts`); absent: none. */
  readonly overload?: MiddlewareHandler;
  /** Phase timings for metrics: "enqueue" (produce acknowledged) and "decision" (enqueue to outcome). */
  readonly observe?: (phase: "enqueue" | "decision", seconds: number) => void;
  /** Counts a reservation refused at the edge (`holdfast_reservations_total`). */
  readonly edgeRefusal?: (reason: "sold-out") => void;
}
