import type { RandomSource } from "../../infra/retry/backoff.ts";
import { absurd } from "fp-ts/lib/function.js";
import * as t from "io-ts";

/**
 * How the simulated gateway misbehaves. Rates are probabilities in [0, 1], drawn per `POST /payments`
 * request in this order: server error (nothing charged), hang (nothing charged, never answered), then —
 * for a key not seen before — decline, and finally "lost response" (charged, but the answer never
 * arrives: the connection is destroyed, or a 504 is returned, per `lostResponseMode`).
 *
 * Latency is log-normal around `latencyMedianMs`: `median × exp(latencySigma × z)` with z standard normal,
 * so `latencySigma = 0` gives a fixed latency and 0.5 a realistic long tail.
 */
const Rate = t.refinement(t.number, (n) => n >= 0 && n <= 1, "Rate");
const NonNegative = t.refinement(t.number, (n) => Number.isFinite(n) && n >= 0, "NonNegative");

/** A forced outcome for the next `POST /payments` requests, consumed in order before the rates apply. */
export const ScriptedOutcome = t.keyof({
  ok: null,
  decline: null,
  "server-error": null,
  hang: null,
  "lost-response": null,
});
export type ScriptedOutcome = t.TypeOf<typeof ScriptedOutcome>;

export const Behaviour = t.type({
  latencyMedianMs: NonNegative,
  latencySigma: NonNegative,
  declineRate: Rate,
  serverErrorRate: Rate,
  hangRate: Rate,
  lostResponseRate: Rate,
  lostResponseMode: t.keyof({ destroy: null, "504": null }),
  /** Forced outcomes for the next requests, whatever their key (tests script a failure sequence). */
  script: t.array(ScriptedOutcome),
  /** Forced outcomes for the next requests of one key; used before `script`, deterministic under concurrency. */
  keyScripts: t.record(t.string, t.array(ScriptedOutcome)),
});
export type Behaviour = t.TypeOf<typeof Behaviour>;

/** `PUT /_config` body: any subset of the behaviour; omitted fields keep their value. */
export const BehaviourPatch = t.partial(Behaviour.props);
export type BehaviourPatch = t.TypeOf<typeof BehaviourPatch>;

export const defaultBehaviour: Behaviour = {
  latencyMedianMs: 0,
  latencySigma: 0,
  declineRate: 0,
  serverErrorRate: 0,
  hangRate: 0,
  lostResponseRate: 0,
  lostResponseMode: "destroy",
  script: [],
  keyScripts: {},
};

/** A small seeded generator (mulberry32) for reproducible runs. */
export const seededRandom = (seed: number): RandomSource => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
};

/** One latency sample in milliseconds (Box–Muller for the normal draw). */
export const drawLatencyMs = (b: Behaviour, random: RandomSource): number => {
  if (b.latencyMedianMs === 0) return 0;
  if (b.latencySigma === 0) return b.latencyMedianMs;
  const u1 = Math.max(random(), Number.EPSILON);
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return b.latencyMedianMs * Math.exp(b.latencySigma * z);
};

/** What happens to one charge request, before knowing whether its key is new. */
export type Fault = "none" | "server-error" | "hang";
/** What happens to a new key's charge. */
export type ChargeFate = "charged" | "declined";

export interface Draw {
  readonly fault: Fault;
  readonly fate: ChargeFate;
  readonly lost: boolean;
}

/**
 * Decide the fate of one request. A scripted outcome wins (and is consumed, the key's own first); otherwise
 * the rates apply.
 * Every rate is drawn every time, so the sequence of draws does not depend on earlier outcomes.
 */
export const drawOutcome = (b: Behaviour, random: RandomSource, key: string): Draw => {
  const scripted = b.keyScripts[key]?.shift() ?? b.script.shift();
  if (scripted !== undefined) {
    switch (scripted) {
      case "ok":
        return { fault: "none", fate: "charged", lost: false };
      case "decline":
        return { fault: "none", fate: "declined", lost: false };
      case "server-error":
        return { fault: "server-error", fate: "charged", lost: false };
      case "hang":
        return { fault: "hang", fate: "charged", lost: false };
      case "lost-response":
        return { fault: "none", fate: "charged", lost: true };
      default:
        return absurd(scripted);
    }
  }
  const [e, h, d, l] = [random(), random(), random(), random()];
  return {
    fault: e < b.serverErrorRate ? "server-error" : h < b.hangRate ? "hang" : "none",
    fate: d < b.declineRate ? "declined" : "charged",
    lost: l < b.lostResponseRate,
  };
};
