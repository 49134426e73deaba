import { randomBytes } from "node:crypto";
import { type Check, checkInvariants } from "./checks.ts";
import type { Deployment } from "./deployment.ts";
import type { FaultName, RehearseOptions } from "./options.ts";
import { type Sample, startSampler } from "./sampler.ts";
import { type Attempt, type FinalAnswer, shop } from "./shoppers.ts";
import { planRequests } from "./workload.ts";
import { listSkuOverHttp } from "./list-sku.ts";
import { messageOf } from "../../infra/errors/message-of.ts";

export interface FaultMark {
  readonly fault: FaultName;
  readonly startMs: number;
  readonly endMs: number;
  readonly error: string | null;
}

/** Everything a rehearsal measured: what `--json` writes and the HTML report draws. */
export interface RehearsalResult {
  readonly options: Omit<RehearseOptions, "report" | "json">;
  readonly skuId: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly attempts: ReadonlyArray<Attempt>;
  readonly samples: ReadonlyArray<Sample>;
  readonly faults: ReadonlyArray<FaultMark>;
  readonly summary: {
    readonly requests: number;
    readonly answers: Record<string, number>;
    readonly unitsGranted: number;
    readonly partialGrants: number;
    readonly resent: number;
    readonly orders: Record<string, number>;
  };
  readonly checks: ReadonlyArray<Check>;
  readonly ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run the sale: plan, list the SKU, let the shoppers loose (faults at their moments), then check. */
export const rehearse = async (
  o: RehearseOptions,
  d: Deployment,
  progress: (line: string, final?: boolean) => void,
): Promise<RehearsalResult> => {
  const skuId = `rehearsal-${randomBytes(3).toString("hex")}`;
  const admin = await d.token("rehearsal-admin", true);
  const listed = await listSkuOverHttp(d.writeBase, admin, {
    skuId,
    name: "Rehearsal sneaker",
    description: "A flash sale rehearsal",
    priceCents: 12000,
    currency: "EUR",
    stock: o.stock,
    perUserLimit: o.perUserLimit,
    holdSeconds: 900,
  });
  if (listed.status !== 201)
    throw new Error(`listing ${skuId} failed: ${listed.status} ${await listed.text()}`);
  // The read side must know the SKU before the burst (the edge's sold-out check reads it).
  await waitForOk(`${d.readBase}/v1/products/${skuId}/availability`);

  const plans = planRequests(o);
  const tokens = new Map<string, Promise<string>>();
  const token = (u: string) => {
    let t = tokens.get(u);
    if (t === undefined) {
      t = d.token(u);
      tokens.set(u, t);
    }
    return t;
  };
  await Promise.all(plans.map((p) => token(p.userId)));

  const attempts: Attempt[] = [];
  const answers: FinalAnswer[] = [];
  const marks: FaultMark[] = [];
  const t0 = Date.now();
  const sampler = startSampler({ readBase: d.readBase, handlerMetrics: d.handlerMetrics, skuId, t0 });
  const deps = {
    writeBase: () => d.writeBase,
    token,
    skuId,
    t0,
    record: (a: Attempt) => attempts.push(a),
    deadlineMs: 180_000,
  };
  let next = 0;
  const worker = async () => {
    for (;;) {
      const plan = plans[next++];
      if (plan === undefined) return;
      const wait = t0 + plan.atMs - Date.now();
      if (wait > 0) await sleep(wait);
      answers.push(await shop(deps, plan));
    }
  };
  const faults = Promise.all(
    o.faults.map(async (f) => {
      await sleep(Math.max(0, t0 + f.atSeconds * 1000 - Date.now()));
      const startMs = Date.now() - t0;
      progress(`fault: ${f.fault} at ${(startMs / 1000).toFixed(1)} s`, true);
      let error: string | null = null;
      await d.inject(f.fault, f.forSeconds).catch((e: unknown) => {
        error = messageOf(e);
      });
      marks.push({ fault: f.fault, startMs, endMs: Date.now() - t0, error });
      progress(
        `fault: ${f.fault} recovered at ${((Date.now() - t0) / 1000).toFixed(1)} s${error ? ` (${error})` : ""}`,
        true,
      );
    }),
  );
  const ticker = setInterval(() => {
    const s = sampler.samples[sampler.samples.length - 1];
    const by = (st: number) => answers.filter((a) => a.status === st).length;
    progress(
      `${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s  sent ${Math.min(next, plans.length)}/${plans.length}  ` +
        `answered ${answers.length} (201 ${by(201)}, 409 ${by(409)})  ` +
        `stock ${s?.available ?? "?"} available / ${s?.held ?? "?"} held / ${s?.sold ?? "?"} sold  ` +
        `queue lag ${s?.queueLag ?? "?"}`,
    );
  }, 1000);
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  await faults;

  // Orders: wait for each payment to settle, as the shopper would by polling the read API.
  const orders = new Map<string, string>();
  const withOrder = answers.filter((a) => a.order !== null);
  const deadline = Date.now() + 90_000;
  await Promise.all(
    withOrder.map(async (a) => {
      const t = await token(a.plan.userId);
      for (;;) {
        const r = await fetch(`${d.readBase}/v1/orders/${a.order!.orderId}`, {
          headers: { Authorization: `Bearer ${t}` },
        }).catch(() => null);
        const b = r !== null && r.status === 200 ? ((await r.json()) as { status: string }) : null;
        if ((b !== null && b.status !== "pending_payment") || Date.now() > deadline) {
          orders.set(a.order!.orderId, b?.status ?? "unknown");
          return;
        }
        await sleep(500);
      }
    }),
  );
  clearInterval(ticker);
  await sleep(1500); // one more sample after the last answer
  await sampler.stop();
  progress("checking invariants from the answers and the log", true);
  const checks = await checkInvariants({
    skuId,
    stock: o.stock,
    perUserLimit: o.perUserLimit,
    answers,
    orders,
    store: d.store,
    readBase: d.readBase,
    auditEnv: d.auditEnv,
  });
  const count = <A>(xs: ReadonlyArray<A>, key: (a: A) => string) => {
    const m: Record<string, number> = {};
    for (const x of xs) m[key(x)] = (m[key(x)] ?? 0) + 1;
    return m;
  };
  const granted = answers.filter((a) => a.status === 201);
  const { report: _r, json: _j, ...options } = o;
  return {
    options,
    skuId,
    startedAt: new Date(t0).toISOString(),
    durationMs: Date.now() - t0,
    attempts,
    samples: sampler.samples,
    faults: marks,
    summary: {
      requests: answers.length,
      answers: count(answers, (a) =>
        a.status === 409 ? `409 ${String(a.body.type).replace("/problems/", "")}` : String(a.status),
      ),
      unitsGranted: granted.reduce((n, a) => n + Number(a.body.quantity ?? 0), 0),
      partialGrants: granted.filter((a) => Number(a.body.quantity) < a.plan.quantity).length,
      resent: answers.filter((a) => a.resent !== null).length,
      orders: count([...orders.values()], (s) => s),
    },
    checks,
    ok: checks.every((c) => c.ok),
  };
};

const waitForOk = async (url: string) => {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const r = await fetch(url).catch(() => null);
    if (r !== null && r.status === 200) return;
    await sleep(200);
  }
  throw new Error(`${url} did not answer 200 within 30 s`);
};
