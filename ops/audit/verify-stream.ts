import { absurd } from "fp-ts/lib/function.js";
import * as E from "fp-ts/lib/Either.js";
import type {
  ChainTip,
  DecodedEvent,
  decodeEvent,
  EventEnvelope,
  SkuEvent,
} from "../../event-schemas/index.ts";
import { chainWalker } from "./chain-walk.ts";
import { decodeChecked } from "./decode-checked.ts";
import { DecisionReplay } from "./decision-replay.ts";
import { FairnessCheck } from "./fairness.ts";
import { Ledger } from "./ledger.ts";
import type { StreamItem } from "./stream-source.ts";
import type { Issue, Rule, Violation } from "./violation.ts";

export interface StreamReport {
  readonly streamId: string;
  /** Events read (unreadable rows included). */
  readonly events: number;
  /** The last in-order event's revision and hash. */
  readonly tip: ChainTip | null;
  /** The first `maxViolations` violations of each rule, in revision order. */
  readonly violations: ReadonlyArray<Violation>;
  readonly violationCount: number;
  readonly byRule: Readonly<Partial<Record<Rule, number>>>;
  /** Revision where invariants, replay and fairness stopped (an event missing or unreadable), if they did. */
  readonly semanticChecksStoppedAt: number | null;
}

export interface StreamVerifierOptions {
  readonly maxViolations?: number;
  /** Run decision replay (default true). */
  readonly replay?: boolean;
  /**
   * The events come through the event store port, which verified each one's stored bytes against its
   * hash (see chain-walk.ts) and checked its envelope's shape: skip both. Default false (events from
   * anywhere else).
   */
  readonly storeVerifiedHashes?: boolean;
}

/**
 * Every check of `holdfast audit verify` over one stream, fed in revision order (constant memory apart
 * from the SKU's own state): chain (revisions, links, hashes, stream id), decode and upcast,
 * invariants at every revision (`ledger.ts`), queue order, decision replay per command
 * (`decision-replay.ts`) and fairness (`fairness.ts`).
 *
 * @example
 *   const v = streamVerifier("sku-tee");
 *   for (const item of items) v.push(item);
 *   const report = v.end();
 */
export const streamVerifier = (streamId: string, opts: StreamVerifierOptions = {}) => {
  const max = opts.maxViolations ?? 100;
  const storeChecked = opts.storeVerifiedHashes === true;
  const chain = chainWalker(streamId, null, { storeVerifiedHashes: storeChecked });
  const ledger = new Ledger();
  const fairness = new FairnessCheck();
  const replay = opts.replay === false ? null : new DecisionReplay();
  const violations: Violation[] = [];
  const byRule: Partial<Record<Rule, number>> = {};
  let count = 0;
  let events = 0;
  let stoppedAt: number | null = null;
  let group: DecodedEvent[] = [];
  /** Complete groups waiting for decision replay (replayed in batches, see decision-replay.ts). */
  let pending: DecodedEvent[][] = [];
  /** The current group's command: its queue position and requestId (null before the first event). */
  let groupPosition = -1;
  let groupRequest: string | null = null;
  let lastQueuePosition = -1;
  /** What the ledger and fairness find at one event (one array for the stream, emptied after each). */
  const found: Issue[] = [];

  const report = (issues: ReadonlyArray<Issue>) => {
    for (const i of issues) {
      count += 1;
      byRule[i.rule] = (byRule[i.rule] ?? 0) + 1;
      // A cap per rule, so a flood of one kind cannot hide the first of another.
      if ((byRule[i.rule] ?? 0) <= max) violations.push({ streamId, ...i });
    }
  };

  const replayPending = () => {
    if (pending.length > 0 && replay !== null) report(replay.groups(pending));
    pending = [];
  };
  const flush = () => {
    if (group.length > 0) pending.push(group);
    group = [];
    if (pending.length >= 256) replayPending();
  };
  const flushAll = () => {
    flush();
    replayPending();
  };

  const stop = (revision: number) => {
    if (stoppedAt !== null) return;
    flushAll();
    stoppedAt = revision;
  };

  /** The event at its current version (decoded here unless the reader already did), or null if it does not decode. */
  const eventOf = (env: EventEnvelope, decoded: SkuEvent | undefined): SkuEvent | null => {
    if (decoded !== undefined) return decoded;
    const d = decodeChecked(env, storeChecked);
    if (E.isRight(d)) return d.right.event;
    report([{ revision: env.revision, rule: "decode/invalid-event", message: describeDecodeError(d.left) }]);
    stop(env.revision);
    return null;
  };

  const semantic = (env: EventEnvelope, decoded: SkuEvent | undefined) => {
    const event = eventOf(env, decoded);
    if (event === null) return;
    if (env.queuePosition !== groupPosition || env.requestId !== groupRequest) {
      flush();
      if (env.queuePosition <= lastQueuePosition)
        report([
          {
            revision: env.revision,
            rule: "order/queue-position",
            message: `request ${env.requestId} has queue position ${env.queuePosition}, not after ${lastQueuePosition}: commands are recorded out of arrival order (or one was recorded twice)`,
          },
        ]);
      groupPosition = env.queuePosition;
      groupRequest = env.requestId;
      lastQueuePosition = Math.max(lastQueuePosition, env.queuePosition);
    }
    // Groups are kept only for decision replay.
    if (replay !== null) group.push({ envelope: env, event });
    const before = ledger.before(event);
    ledger.apply(env, event, found);
    fairness.observe(env, event, before, found);
    if (found.length > 0) {
      report(found);
      found.length = 0;
    }
  };

  return {
    push(item: StreamItem): void {
      events += 1;
      if (item._tag === "Unreadable") {
        report(chain.unreadable(item.revision, item.message));
        stop(chain.lostAt() ?? item.revision);
        return;
      }
      const env = item.recorded.envelope;
      report(chain.push(env));
      const lostAt = chain.lostAt();
      if (lostAt !== null) stop(lostAt);
      if (stoppedAt === null) semantic(env, item.event);
    },

    end(): StreamReport {
      if (stoppedAt === null) flushAll();
      return {
        streamId,
        events,
        tip: chain.tip(),
        // Replay reports a batch late; a reader wants them in stream order.
        violations: [...violations].sort((a, b) => a.revision - b.revision),
        violationCount: count,
        byRule,
        semanticChecksStoppedAt: stoppedAt,
      };
    },
  };
};

const describeDecodeError = (
  e: ReturnType<typeof decodeEvent> extends E.Either<infer L, unknown> ? L : never,
): string => {
  switch (e._tag) {
    case "InvalidEnvelope":
      return `envelope: ${e.message}`;
    case "UnknownEventType":
      return `unknown event type ${e.type}`;
    case "UnknownSchemaVersion":
      return `${e.type} has unknown schema version ${e.schemaVersion}`;
    case "InvalidEventData":
      return `${e.type} v${e.schemaVersion}: ${e.message}`;
    default:
      return absurd(e);
  }
};
