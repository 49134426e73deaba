import type { Command } from "commander";
import * as E from "fp-ts/lib/Either.js";
import {
  CannotRun,
  describeStoreError,
  EXIT_CLEAN,
  exitTwoOnUsageError,
  parseCount,
  runAction,
  withStore,
} from "../../audit/cli-support.ts";
import { formatReplay } from "../../audit/format.ts";
import { parseReplayPoint, replayTo } from "../../audit/replay-at.ts";

/** `holdfast replay --sku ID [--at REVISION|TIME]`: a SKU's state at a point and the events that led there. */
export const registerReplay = (program: Command): void => {
  exitTwoOnUsageError(
    program
      .command("replay")
      .description(
        "show a SKU's state (availability, holds, orders) at a revision or instant, and the events that led there",
      )
      .requiredOption("--sku <id>", "the SKU")
      .option("--at <revision|time>", "a revision (e.g. 41) or an ISO-8601 instant (default: the end)")
      .option("--tail <n>", "list only the last N events")
      .option("--json", "machine-readable output"),
  ).action((opts: { sku: string; at?: string; tail?: string; json?: boolean }) =>
    runAction(async () => {
      const point = parseReplayPoint(opts.at);
      if (E.isLeft(point)) throw new CannotRun(point.left);
      const tail = opts.tail === undefined ? undefined : parseCount(opts.tail, "--tail");
      return withStore(async (store) => {
        const r = await replayTo(store, opts.sku, point.right, tail === undefined ? {} : { tail });
        if (E.isLeft(r)) {
          const e = r.left;
          throw new CannotRun(
            e._tag === "NoSuchStream"
              ? `no events in stream ${e.streamId}`
              : e._tag === "Undecodable"
                ? `revision ${e.revision} cannot be replayed: ${e.message} (run \`holdfast audit verify --sku ${opts.sku}\`)`
                : describeStoreError(e),
          );
        }
        process.stdout.write(`${opts.json ? JSON.stringify(r.right, null, 2) : formatReplay(r.right)}\n`);
        return EXIT_CLEAN;
      });
    }),
  );
};
