import * as E from "fp-ts/lib/Either.js";
import { streamIdOf } from "../../event-schemas/index.ts";
import type { EventStore, StoreError } from "../../infra/event-store/port.ts";
import { forEachPage } from "./stream-source.ts";
import { type StreamReport, type StreamVerifierOptions, streamVerifier } from "./verify-stream.ts";

export interface AuditReport {
  readonly ok: boolean;
  readonly streams: ReadonlyArray<StreamReport>;
  readonly events: number;
  readonly violationCount: number;
}

/** Why an audit could not run (exit 2), as opposed to what it found (exit 1). */
export type AuditRunError = StoreError | { readonly _tag: "NoSuchStream"; readonly streamId: string };

export interface VerifyStoreOptions extends StreamVerifierOptions {
  /** Only this SKU's stream. */
  readonly skuId?: string;
  readonly pageSize?: number;
  /** Called after each stream (progress on stderr). */
  readonly onStream?: (r: StreamReport) => void;
}

/**
 * `holdfast audit verify`: every `sku-` stream (or one), page by page, through the event store port, so
 * it works the same against PostgreSQL, EventStoreDB and memory. Streams are checked one at a time.
 */
export const verifyStore = async (
  store: EventStore,
  opts: VerifyStoreOptions = {},
): Promise<E.Either<AuditRunError, AuditReport>> => {
  let ids: ReadonlyArray<string>;
  if (opts.skuId !== undefined) ids = [streamIdOf(opts.skuId)];
  else {
    const listed = await store.listStreams("sku-")();
    if (E.isLeft(listed)) return listed;
    ids = listed.right;
  }
  const streams: StreamReport[] = [];
  for (const streamId of ids) {
    const v = streamVerifier(streamId, opts);
    const r = await forEachPage(
      store,
      streamId,
      (items) => {
        for (const it of items) v.push(it);
        return true;
      },
      { pageSize: opts.pageSize ?? 1000 },
    );
    if (E.isLeft(r)) return r;
    const report = v.end();
    if (opts.skuId !== undefined && report.events === 0) return E.left({ _tag: "NoSuchStream", streamId });
    streams.push(report);
    opts.onStream?.(report);
  }
  const violationCount = streams.reduce((n, s) => n + s.violationCount, 0);
  return E.right({
    ok: violationCount === 0,
    streams,
    events: streams.reduce((n, s) => n + s.events, 0),
    violationCount,
  });
};
