import * as E from "fp-ts/lib/Either.js";

/** What can go wrong during a rehearsal, injected only into processes and servers it started itself. */
export const FAULTS = ["kill-handler", "kill-write-api", "restart-kafka", "pause-redis"] as const;
export type FaultName = (typeof FAULTS)[number];

export interface FaultPlan {
  readonly fault: FaultName;
  /** Seconds after T0 (the first request). */
  readonly atSeconds: number;
  /** How long the fault lasts before recovery starts (pause-redis: paused; kills: down). */
  readonly forSeconds: number;
}

export interface RehearseOptions {
  readonly stock: number;
  readonly shoppers: number;
  readonly requests: number;
  readonly concurrency: number;
  /** Arrival window: a burst at T0 decaying over this many seconds. */
  readonly durationSeconds: number;
  readonly perUserLimit: number;
  /** Share of held reservations that go on to check out (0–1). */
  readonly checkoutShare: number;
  readonly faults: ReadonlyArray<FaultPlan>;
  /** A running holdfast (its base URL) instead of a throwaway one. */
  readonly target: string | null;
  readonly report: string | null;
  readonly json: string | null;
  readonly seed: number;
}

export interface RawOptions {
  readonly stock?: string;
  readonly shoppers?: string;
  readonly requests?: string;
  readonly concurrency?: string;
  readonly duration?: string;
  readonly perUserLimit?: string;
  readonly checkouts?: string;
  readonly faults?: string;
  readonly target?: string;
  readonly report?: string;
  readonly json?: string;
  readonly seed?: string;
}

/** Default faults of a self-started rehearsal: each one once, spread over the arrival window. */
export const DEFAULT_FAULTS = "kill-handler@3,kill-write-api@10,restart-kafka@16,pause-redis@26";

const whole = (name: string, text: string | undefined, dflt: number, min: number, max: number) => {
  if (text === undefined) return E.right(dflt);
  const n = Number(text);
  return Number.isInteger(n) && n >= min && n <= max
    ? E.right(n)
    : E.left(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`);
};

/** `kill-handler@5`, `pause-redis@20:4` (at 20 s, for 4 s), comma-separated; `none` for no faults. */
export const parseFaults = (text: string): E.Either<string, ReadonlyArray<FaultPlan>> => {
  if (text.trim() === "none" || text.trim() === "") return E.right([]);
  const plans: FaultPlan[] = [];
  for (const item of text.split(",").map((s) => s.trim())) {
    const m = /^([a-z-]+)(?:@(\d+(?:\.\d+)?))?(?::(\d+(?:\.\d+)?))?$/.exec(item);
    const fault = m?.[1] as FaultName | undefined;
    if (m === null || fault === undefined || !FAULTS.includes(fault))
      return E.left(`--faults: "${item}" is not one of ${FAULTS.join(", ")} (as name[@seconds[:seconds]])`);
    plans.push({
      fault,
      atSeconds: m[2] === undefined ? 5 + plans.length * 6 : Number(m[2]),
      forSeconds: m[3] === undefined ? (fault === "pause-redis" ? 4 : 3) : Number(m[3]),
    });
  }
  return E.right(plans.sort((a, b) => a.atSeconds - b.atSeconds));
};

export const parseOptions = (raw: RawOptions): E.Either<string, RehearseOptions> => {
  const stock = whole("stock", raw.stock, 2000, 1, 1_000_000);
  const shoppers = whole("shoppers", raw.shoppers, 3000, 1, 1_000_000);
  const requests = whole("requests", raw.requests, 5000, 1, 10_000_000);
  const concurrency = whole("concurrency", raw.concurrency, 64, 1, 10_000);
  const duration = whole("duration", raw.duration, 30, 1, 3600);
  const limit = whole("per-user-limit", raw.perUserLimit, 2, 1, 1000);
  const seed = whole("seed", raw.seed, 1, 0, 2 ** 31);
  for (const r of [stock, shoppers, requests, concurrency, duration, limit, seed]) if (E.isLeft(r)) return r;
  const share = raw.checkouts === undefined ? 0.3 : Number(raw.checkouts);
  if (!(share >= 0 && share <= 1))
    return E.left(`--checkouts must be a share from 0 to 1, got "${raw.checkouts}"`);
  const target = raw.target ?? null;
  if (target !== null) {
    try {
      new URL(target);
    } catch {
      return E.left(`--target must be a URL such as http://127.0.0.1:8080, got "${target}"`);
    }
  }
  const faults = parseFaults(raw.faults ?? (target === null ? DEFAULT_FAULTS : "none"));
  if (E.isLeft(faults)) return faults;
  if (target !== null && faults.right.length > 0)
    return E.left(
      "--faults needs a holdfast this rehearsal starts itself (drop --target, or use --faults none)",
    );
  const get = (r: E.Either<string, number>) => (E.isRight(r) ? r.right : 0);
  return E.right({
    stock: get(stock),
    shoppers: get(shoppers),
    requests: get(requests),
    concurrency: get(concurrency),
    durationSeconds: get(duration),
    perUserLimit: get(limit),
    checkoutShare: share,
    faults: faults.right,
    target,
    report: raw.report ?? null,
    json: raw.json ?? null,
    seed: get(seed),
  });
};
