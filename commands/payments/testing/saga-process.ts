// TEST HARNESS: a payment saga in its own process, so a test can kill it with SIGKILL mid-payment.
// Env (test-only; this file is not an application module): SAGA_DATABASE_URL, SAGA_GATEWAY_URL.
// Prints "ready" once the saga is subscribed.
import { openSagaWorld } from "./world.ts";

const databaseUrl = process.env.SAGA_DATABASE_URL;
const gatewayUrl = process.env.SAGA_GATEWAY_URL;
if (databaseUrl === undefined || gatewayUrl === undefined) {
  console.error("SAGA_DATABASE_URL and SAGA_GATEWAY_URL are required");
  process.exit(2);
}
const world = await openSagaWorld(databaseUrl, gatewayUrl);
// A generous gateway timeout: the test kills this process while a slow charge is in flight.
await world.startSaga({}, { timeoutMs: 30_000 });
console.log("ready");
