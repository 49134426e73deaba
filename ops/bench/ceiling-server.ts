/**
 * The ceiling of `npm run bench:reserve`: a bare hono endpoint doing ONE ioredis EVALSHA
 * check-and-decrement per request, nothing else (no auth, no queue, no log), listening with the same
 * accept-queue length as `holdfast serve`. Started as a child process
 * by ops/bench/reserve.ts with BENCH_CEILING_PORT, BENCH_CEILING_KEY and REDIS_URL.
 */
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import { Redis } from "ioredis";
import { LISTEN_BACKLOG } from "../serve/acceptor.ts";

const port = Number(process.env.BENCH_CEILING_PORT ?? 0);
const key = process.env.BENCH_CEILING_KEY ?? "hf:bench-ceiling:stock";
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { enableAutoPipelining: true });
redis.defineCommand("takeOne", {
  numberOfKeys: 1,
  lua: `local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n <= 0 then return -1 end
return redis.call('DECR', KEYS[1])`,
});
const take = redis as Redis & { takeOne(key: string): Promise<number> };

const app = new Hono();
app.post("/reserve", async (c) => {
  const left = await take.takeOne(key);
  return left < 0 ? c.json({ status: "sold-out" }, 409) : c.json({ status: "reserved", left }, 201);
});
app.get("/ready", (c) => c.text("ok"));
// The accept queue `holdfast serve` asks for (ops/serve/acceptor.ts), so a burst of new connections meets
// the same kernel queue on both sides of the comparison rather than hono's default of 511.
const server = createAdaptorServer({ fetch: app.fetch });
server.listen({ port, host: "127.0.0.1", backlog: LISTEN_BACKLOG }, () => {
  const address = server.address();
  process.stdout.write(
    `listening ${typeof address === "object" && address !== null ? address.port : port}\n`,
  );
});
process.on("SIGTERM", () => process.exit(0));
