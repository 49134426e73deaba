/**
 * `npm run bench:decide`: how many decisions per second one core makes for one SKU, hashing included.
 *
 * The command handler's hot loop, minus I/O: take a batch of 250 commands, `decideBatch` them against
 * the SKU's state, turn every event into a draft (fresh eventId) and seal the drafts onto the chain
 * (canonical JSON + SHA-256 per event). The mix: reservations from distinct shoppers until the stock is
 * gone (mostly successes, some partial), then sold-out rejections, with about 1 in 20 commands a cancel
 * of an earlier hold (whose unit the next shopper gets). Commands are built before the clock starts:
 * in production they arrive decoded from the queue.
 *
 * Prints the median of several runs, by wall clock and per CPU-second of this process (the figure for
 * one dedicated core when the machine is shared). Options: `npm run bench:decide -- --runs 7
 * --commands 60000` (the defaults).
 */
import { randomUUID } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import * as E from "fp-ts/lib/Either.js";
import { decideBatch, initialState, type SkuState } from "../../domain/sku/index.ts";
import {
  type ChainTip,
  type EventDraft,
  type SkuCommand,
  SkuCommandBody,
  sealEvents,
  streamIdOf,
} from "../../event-schemas/index.ts";
import { positiveIntArg } from "./args.ts";

const BATCH = 250;
const RUNS = positiveIntArg("runs", 7);
const COMMANDS = positiveIntArg("commands", 60_000);
const STOCK = Math.floor(COMMANDS * 0.6);
const T0 = Date.parse("2026-11-21T12:00:00.000Z");

const uuidOf = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

const buildCommands = (): SkuCommand[] => {
  const out: SkuCommand[] = [];
  for (let i = 0; i < COMMANDS; i++) {
    // One command every 40 µs of queue time: 25,000 requests/s, the peak the product asks for.
    const now = new Date(T0 + Math.floor(i * 0.04)).toISOString();
    const requestId = uuidOf(1_000_000 + i);
    if (i % 20 === 19) {
      const target = i - 10; // a reservation placed a little earlier (cancels of a rejected one are refused)
      out.push({
        type: "CancelReservation",
        reservationId: uuidOf(target),
        userId: `shopper-${target}`,
        requestId,
        now,
      } as SkuCommand);
    } else {
      out.push({
        type: "PlaceReservation",
        reservationId: uuidOf(i),
        userId: `shopper-${i}`,
        quantity: i % 10 === 3 ? 2 : 1,
        allowPartial: i % 10 === 3,
        requestId,
        now,
      } as SkuCommand);
    }
  }
  return out;
};

const listing = (): SkuCommand => {
  const body = SkuCommandBody.decode({
    type: "ListSku",
    skuId: "bench-tee",
    name: "Bench tee",
    description: "",
    priceCents: 2500,
    currency: "EUR",
    stock: STOCK,
    perUserLimit: 2,
    holdSeconds: 120,
    saleStartsAt: null,
    saleEndsAt: null,
    tags: ["bench"],
  });
  if (E.isLeft(body)) throw new Error("bench listing does not decode");
  return { ...body.right, requestId: uuidOf(999_999), now: new Date(T0).toISOString() };
};

const streamId = streamIdOf("bench-tee");

/** Decide and seal one batch, as the handler does; returns the new state, tip and counts. */
const step = (
  state: SkuState,
  tip: ChainTip | null,
  commands: ReadonlyArray<SkuCommand>,
  position: number,
) => {
  const { state: next, outcomes } = decideBatch(state, commands);
  const drafts: EventDraft[] = [];
  let refused = 0;
  for (let i = 0; i < outcomes.length; i++) {
    const outcome = outcomes[i]!;
    const command = commands[i]!;
    if (E.isLeft(outcome)) {
      refused += 1;
      continue;
    }
    for (const event of outcome.right)
      drafts.push({
        eventId: randomUUID(),
        event,
        occurredAt: command.now,
        requestId: command.requestId,
        correlationId: command.requestId,
        causationId: command.requestId,
        queuePosition: position + i,
      });
  }
  const sealed = sealEvents(streamId, tip, drafts);
  const last = sealed[sealed.length - 1];
  return {
    state: next,
    tip: last === undefined ? tip : { revision: last.revision, hash: last.hash },
    events: sealed.length,
    refused,
  };
};

const runOnce = (commands: ReadonlyArray<SkuCommand>) => {
  const listed = step(initialState, null, [listing()], 0);
  let { state, tip } = listed;
  let events = 0;
  let refused = 0;
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  for (let i = 0; i < commands.length; i += BATCH) {
    const r = step(state, tip, commands.slice(i, i + BATCH), i + 1);
    state = r.state;
    tip = r.tip;
    events += r.events;
    refused += r.refused;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  // CPU time of this process (all its threads, GC included): what one core would need, whatever the load.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { seconds, cpuSeconds, events, refused, state };
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const main = () => {
  const commands = buildCommands();
  runOnce(commands.slice(0, 20 * BATCH)); // warm-up: let the JIT settle
  const wall = { decisions: [] as number[], events: [] as number[] };
  const cpu = { decisions: [] as number[], events: [] as number[] };
  let last: ReturnType<typeof runOnce> | undefined;
  const rate = (n: number, s: number) => (n / s).toFixed(0);
  for (let r = 0; r < RUNS; r++) {
    last = runOnce(commands);
    wall.decisions.push(commands.length / last.seconds);
    wall.events.push(last.events / last.seconds);
    cpu.decisions.push(commands.length / last.cpuSeconds);
    cpu.events.push(last.events / last.cpuSeconds);
    console.log(
      `run ${r + 1}: wall ${rate(commands.length, last.seconds)} decisions/s, ${rate(last.events, last.seconds)} events/s` +
        ` (${last.seconds.toFixed(3)} s); per CPU-second ${rate(commands.length, last.cpuSeconds)} decisions,` +
        ` ${rate(last.events, last.cpuSeconds)} events`,
    );
  }
  const [load1] = loadavg();
  console.log(
    `\n${COMMANDS} commands per run in batches of ${BATCH}, stock ${STOCK}, ${RUNS} runs` +
      ` (${last?.events} events and ${last?.refused} refusals per run); load average ${load1?.toFixed(1)}` +
      ` on ${availableParallelism()} cores`,
  );
  console.log(
    `median wall clock:      ${median(wall.decisions).toFixed(0)} decisions/s, ${median(wall.events).toFixed(0)} events/s`,
  );
  console.log(
    `median per CPU-second:  ${median(cpu.decisions).toFixed(0)} decisions/s, ${median(cpu.events).toFixed(0)} events/s` +
      " (what one dedicated core does; wall clock is lower when the machine is shared)",
  );
};

main();
