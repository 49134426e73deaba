import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import { spawnSync } from "node:child_process";
import type { Consumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headerText } from "../../infra/kafka/integration-topic.ts";
import { parseTraceparent } from "../../infra/observability/trace-context.ts";
import { readSideNamesFor } from "../../projections/names.ts";
import { deleteIndicesWithPrefix } from "../../projections/testing/elasticsearch.ts";
import { startPaymentSimulator, type RunningPaymentSimulator } from "../payment-simulator/server.ts";
import { ensureTool } from "../stack/tools.ts";
import { client, type Harness, type ServeProcess, startHarness, waitFor } from "./testing/harness.ts";
import { Client } from "@elastic/elasticsearch";

// One holdfast with every role, tracing exported to a local OTLP/HTTP receiver: a request's trace id is
// followed from its HTTP answer through the handler's log to its events on the integration topic, the
// spans of every hop arrive over OTLP, and /metrics has API.md's names and passes `promtool check metrics`.

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
}

let h: Harness;
let api: ServeProcess;
let gateway: RunningPaymentSimulator;
let otlp: Server;
const spans: OtlpSpan[] = [];
let consumer: Consumer;
const seen: Array<{ headers: Record<string, string>; value: Record<string, unknown> }> = [];

beforeAll(async () => {
  otlp = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      const doc = JSON.parse(body.toString("utf8")) as {
        resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
      };
      for (const rs of doc.resourceSpans ?? [])
        for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => otlp.listen(0, "127.0.0.1", () => r()));
  const otlpPort = (otlp.address() as { port: number }).port;
  gateway = await startPaymentSimulator({ port: 0, latencyMedianMs: 5, latencySigma: 0 });
  h = await startHarness("obs");
  api = await h.serve("command-handler,write-api,projector,read-api,payments", {
    args: ["--log-level", "debug"],
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`, PAYMENT_GATEWAY_URL: gateway.url },
  });
  consumer = h.kafka.consumer({ groupId: `obs-test-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: readSideNamesFor(h.ns.name).integrationTopic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push({
        headers: headerText(message.headers),
        value: JSON.parse(message.value?.toString("utf8") ?? "{}") as Record<string, unknown>,
      });
    },
  });
}, 120_000);

afterAll(async () => {
  await consumer?.disconnect();
  const admin = h.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [readSideNamesFor(h.ns.name).integrationTopic] }).catch(() => {});
  await admin.disconnect();
  const es = new Client({ node: process.env.ELASTICSEARCH_URL ?? "http://127.0.0.1:9200" });
  await deleteIndicesWithPrefix(es, readSideNamesFor(h.ns.name).searchPrefix);
  await es.close();
  await h?.close();
  await gateway?.stop();
  otlp?.close();
});

const traceparent = () => `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;

describe("a request's trace", () => {
  it("follows a reservation and its checkout from the HTTP answer to the integration topic", async () => {
    const c = client(api.port);
    const admin = await h.token("ops", true);
    const skuId = `obs-${randomBytes(3).toString("hex")}`;
    expect((await c.listSku(admin, { skuId, stock: 5 })).status).toBe(201);
    const shopper = await h.token("trace-alice");

    const sent = traceparent();
    const traceId = parseTraceparent(sent)!.traceId;
    const r = await fetch(`${c.base}/v1/skus/${skuId}/reservations`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${shopper}`,
        "Content-Type": "application/json",
        "Idempotency-Key": randomUUID(),
        traceparent: sent,
      },
      body: JSON.stringify({ quantity: 1 }),
    });
    expect(r.status).toBe(201);
    const answered = parseTraceparent(r.headers.get("traceparent"));
    expect(answered?.traceId).toBe(traceId);
    const { reservationId } = (await r.json()) as { reservationId: string };

    // The integration topic: the ReservationPlaced of this reservation carries the request's trace.
    const placed = await waitFor("the reservation's event on the integration topic", async () =>
      seen.find(
        (m) => (m.value.data as { reservationId?: string } | undefined)?.reservationId === reservationId,
      ),
    );
    expect(placed.value.type).toBe("ReservationPlaced");
    expect(parseTraceparent(placed.headers.traceparent)?.traceId).toBe(traceId);
    expect(parseTraceparent(String(placed.value.correlationId))?.traceId).toBe(traceId);

    // The handler's log line for that command names the trace.
    const requestId = String(placed.value.requestId);
    const line = api
      .output()
      .split("\n")
      .find((l) => l.includes('"command decided"') && l.includes(requestId));
    expect(line).toBeDefined();
    expect(JSON.parse(line!).trace_id).toBe(traceId);

    // The command itself carried the trace in its Kafka headers.
    const commands = h.kafka.consumer({ groupId: `obs-commands-${randomUUID()}` });
    await commands.connect();
    await commands.subscribe({ topic: h.ns.topics.commands, fromBeginning: true });
    let header: string | undefined;
    await commands.run({
      eachMessage: async ({ message }) => {
        if (message.value?.toString("utf8").includes(requestId))
          header = headerText(message.headers).traceparent;
      },
    });
    await waitFor("the command on the command topic", async () => header);
    await commands.disconnect();
    expect(parseTraceparent(header)?.traceId).toBe(traceId);

    // A checkout under another trace: its order and payment events carry that trace.
    const checkout = traceparent();
    const o = await fetch(`${c.base}/v1/orders`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${shopper}`,
        "Content-Type": "application/json",
        "Idempotency-Key": randomUUID(),
        traceparent: checkout,
      },
      body: JSON.stringify({ reservationId, paymentToken: "tok_visa" }),
    });
    expect(o.status).toBe(202);
    const checkoutTrace = parseTraceparent(checkout)!.traceId;
    const paid = await waitFor("the payment's event on the integration topic", async () =>
      seen.find((m) => m.value.type === "PaymentSucceeded" && m.value.streamId === `sku-${skuId}`),
    );
    expect(parseTraceparent(paid.headers.traceparent)?.traceId).toBe(checkoutTrace);

    // Over OTLP: a span for every hop of the reservation's trace, and the payment in the checkout's.
    const names = (id: string) => new Set(spans.filter((s) => s.traceId === id).map((s) => s.name));
    await waitFor(
      "the reservation's spans over OTLP",
      async () => {
        const n = names(traceId);
        return (
          n.has("POST /v1/skus/:skuId/reservations") &&
          [...n].some((x) => x.startsWith("produce ")) &&
          n.has("decide+append") &&
          n.has("project integration-relay")
        );
      },
      20_000,
    );
    await waitFor("the payment span over OTLP", async () => names(checkoutTrace).has("payment"), 20_000);
    const server = spans.find((s) => s.traceId === traceId && s.name.startsWith("POST "))!;
    expect(server.parentSpanId).toBe(parseTraceparent(sent)!.spanId);
    expect(server.spanId).toBe(answered!.spanId);
  }, 90_000);
});

describe("/metrics", () => {
  it("has API.md's metrics, labelled, and passes promtool check metrics", async () => {
    const text = await (await fetch(`http://127.0.0.1:${api.port}/metrics`)).text();
    for (const name of [
      "holdfast_http_request_duration_seconds_bucket",
      "holdfast_command_queue_lag",
      "holdfast_command_queue_oldest_age_seconds",
      "holdfast_reservations_total",
      "holdfast_units",
      "holdfast_invariant_violations_total",
      "holdfast_projection_lag_events",
      "holdfast_projection_lag_seconds",
    ])
      expect(text, name).toMatch(new RegExp(`^${name}\\{`, "m"));
    expect(text).toMatch(/^holdfast_reservations_total\{outcome="accepted",reason="full"\} [1-9]/m);
    expect(text).toMatch(/^holdfast_units\{sku="obs-[0-9a-f]+",state="sold"\} 1$/m);
    expect(text).toMatch(/^holdfast_invariant_violations_total\{invariant="stock"\} 0$/m);
    expect(text).toMatch(
      /^holdfast_commands_decided_total\{sku="obs-[0-9a-f]+",command="PlaceReservation"\} 1$/m,
    );
    expect(text).toMatch(
      /^holdfast_events_appended_total\{sku="obs-[0-9a-f]+",type="ReservationPlaced"\} 1$/m,
    );
    expect(text).not.toMatch(/^holdfast_(commands_decided|events_appended)_total /m);

    let promtool: string;
    try {
      promtool = await ensureTool("promtool");
    } catch (e) {
      console.warn(`SKIPPED promtool check metrics: ${String(e)}`);
      return;
    }
    // holdfast's own families only: prom-client's runtime defaults are not ours to rename.
    const ours = text
      .split("\n")
      .filter((l) => /^(# (HELP|TYPE) )?holdfast_/.test(l))
      .join("\n");
    const lint = spawnSync(promtool, ["check", "metrics"], { input: `${ours}\n`, encoding: "utf8" });
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe("");
    expect(lint.status).toBe(0);
  });
});
