// Standalone payment gateway simulator: `node --import ./ops/bin/ts-loader.mjs ops/payment-simulator/main.ts [--port 8090]
// [--latency-ms 100] [--sigma 0.3] [--decline-rate 0] [--error-rate 0] [--hang-rate 0] [--lost-rate 0]`.
import { parseArgs } from "node:util";
import { startPaymentSimulator } from "./server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8090" },
    host: { type: "string", default: "127.0.0.1" },
    "latency-ms": { type: "string", default: "0" },
    sigma: { type: "string", default: "0" },
    "decline-rate": { type: "string", default: "0" },
    "error-rate": { type: "string", default: "0" },
    "hang-rate": { type: "string", default: "0" },
    "lost-rate": { type: "string", default: "0" },
  },
});

const num = (name: keyof typeof values): number => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number, got "${values[name]}"`);
    process.exit(1);
  }
  return n;
};

const sim = await startPaymentSimulator({
  port: num("port"),
  host: String(values.host),
  latencyMedianMs: num("latency-ms"),
  latencySigma: num("sigma"),
  declineRate: num("decline-rate"),
  serverErrorRate: num("error-rate"),
  hangRate: num("hang-rate"),
  lostResponseRate: num("lost-rate"),
});
console.log(`payment simulator listening on ${sim.url} (PUT ${sim.url}/_config to change its behaviour)`);
const shutdown = () => void sim.stop().then(() => process.exit(0));
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
