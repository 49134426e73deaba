import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, type ServeProcess, startHarness } from "./testing/harness.ts";

/**
 * Issue 12 items 1 and 4 on a real `holdfast serve` (the body is read from Node's request, not the
 * `app.request` stream): a body that never arrives in full, and one that never stops, change nothing
 * and get a 400 naming why.
 */
let h: Harness;
let api: ServeProcess;
let admin = "";

beforeAll(async () => {
  h = await startHarness("bodyread");
  api = await h.serve("write-api");
  admin = await h.token("ops", true);
}, 90_000);
afterAll(async () => {
  await h?.close();
});

/** Send raw bytes, then keep the connection open; resolves with the first answer's status and body. */
const raw = (head: string, chunks: ReadonlyArray<string>) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const s = connect(api.port, "127.0.0.1", () => {
      s.write(head);
      for (const c of chunks) s.write(c);
    });
    let got = "";
    s.on("data", (d) => {
      got += d.toString();
      const [top, body] = got.split("\r\n\r\n");
      if (body === undefined) return;
      s.destroy();
      resolve({ status: Number(top?.split(" ")[1]), body });
    });
    s.on("error", reject);
  });

const head = (path: string, extra: string) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nIdempotency-Key: ${Math.random()}\r\nContent-Type: application/json\r\n${extra}\r\n`;

describe("reading a body on a real server", () => {
  it("a Content-Length that never arrives: 400 at the body deadline, before the route acts", async () => {
    const r = await raw(head("/v1/skus/nope/close", "Content-Length: 100\r\n"), ["{"]);
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/did not arrive within/);
  }, 30_000);

  it("a chunked body past 16 KiB: 400 as soon as the bound is passed", async () => {
    const chunk = "x".repeat(8192);
    const piece = `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    const r = await raw(head("/v1/skus", "Transfer-Encoding: chunked\r\n"), [piece, piece, piece]);
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/larger than 16384 bytes/);
  });
});
