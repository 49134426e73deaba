import type { Redis } from "ioredis";
import type { Pool } from "pg";
import type { TokenBucket } from "../infra/config/config.ts";
import type { Principal } from "../infra/http/auth.ts";
import type { RateLimiter } from "../infra/redis/rate-limit.ts";
import type { ProductSearch } from "../projections/products/search-port.ts";
import type { AvailabilityCache } from "./availability-cache.ts";

/** Everything the read API's routes need, built by the composition root (read-api/role.ts) or a test. */
export interface ReadApiDeps {
  readonly redis: Redis;
  /** Key namespace of the Redis availability view ("hf:" in production). */
  readonly namespace: string;
  readonly pool: Pool;
  readonly search: ProductSearch;
  /** Availability served from memory, kept fresh by the projector's pub/sub (also feeds the SSE stream). */
  readonly availability: AvailabilityCache;
  readonly verify: (token: string) => Promise<Principal | null>;
  /** `null`: read limits off (HOLDFAST_RATE_LIMITS=off). */
  readonly limiter: RateLimiter | null;
  readonly ipRead: TokenBucket | null;
  /** Bound on an X-Min-Revision wait before answering 504 view-behind (default 2000 ms). */
  readonly minRevisionWaitMs?: number;
}
