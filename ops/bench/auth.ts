/**
 * `npm run bench:auth`: CPU µs per bearer-token verification, the cost every authenticated request pays.
 *
 * Three figures, measured in the same run (so the shared machine's noise hits them alike):
 * - `reference`: jose's `jwtVerify` with a KeyObject made once (how holdfast verified before issue 13);
 * - `fresh`: holdfast's verifier on tokens it has not seen (HMAC-SHA256 + decode + claim checks);
 * - `repeat`: holdfast's verifier on a token it verified before (the bounded cache of verified tokens),
 *   the common case: a shopper sends the same token with every request of a sale.
 * Prints the median of several runs as CPU µs per verification (process.cpuUsage) and the ratio to the
 * reference. Options: `npm run bench:auth -- --runs 7 --tokens 20000`.
 */
import { createSecretKey } from "node:crypto";
import { jwtVerify } from "jose";
import { makeTokenVerifier, signToken } from "../../infra/http/auth.ts";
import { positiveIntArg } from "./args.ts";

const RUNS = positiveIntArg("runs", 7);
const TOKENS = positiveIntArg("tokens", 20_000);
const SECRET = "bench-secret-0123456789abcdef";

const cpuMicros = async (n: number, f: (i: number) => Promise<unknown>): Promise<number> => {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await f(i);
  const d = process.cpuUsage(start);
  return (d.user + d.system) / n;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const main = async () => {
  const tokens = await Promise.all(
    Array.from({ length: TOKENS }, (_, i) => signToken(SECRET, { userId: `shopper-${i}`, expiresIn: "1h" })),
  );
  const key = createSecretKey(Buffer.from(SECRET, "utf8"));
  const reference = async (token: string) => (await jwtVerify(token, key, { algorithms: ["HS256"] })).payload;
  const results = { reference: [] as number[], fresh: [] as number[], repeat: [] as number[] };
  for (let run = 0; run < RUNS; run++) {
    // A new verifier per run, so "fresh" really is a first sight of every token.
    const verify = makeTokenVerifier(SECRET);
    results.reference.push(await cpuMicros(TOKENS, (i) => reference(tokens[i]!)));
    results.fresh.push(
      await cpuMicros(TOKENS, async (i) => {
        if ((await verify(tokens[i]!)) === null) throw new Error("a valid token was refused");
      }),
    );
    const one = tokens[0]!;
    // Many more rounds: a hit is so cheap that a short loop would mostly measure a stray GC.
    results.repeat.push(await cpuMicros(TOKENS * 20, () => verify(one)));
  }
  const ref = median(results.reference);
  for (const [name, xs] of Object.entries(results)) {
    const m = median(xs);
    process.stdout.write(
      `${name.padEnd(10)} ${m.toFixed(2).padStart(8)} CPU µs/verification  (${(ref / m).toFixed(1)}× the reference)\n`,
    );
  }
  process.stdout.write(`(${RUNS} runs × ${TOKENS} tokens, median)\n`);
};

await main();
