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

/** Every check of `audit verify` over one stream, read page by page through the port. */
export const verifyStream = async (
  store: EventStore,
  streamId: string,
  opts: StreamVerifierOptions & { readonly pageSize?: number } = {},
): Promise<E.Either<StoreError, StreamReport>> => {
  // Read through the port, every event's stored bytes were already hashed against its hash.
  const v = streamVerifier(streamId, { storeVerifiedHashes: true, ...opts });
  const r = await forEachPage(
    store,
    streamId,
    (items) => {
      for (const it of items) v.push(it);
      return true;
    },
    { pageSize: opts.pageSize ?? 1000 },
  );
  return E.isLeft(r) ? r : E.right(v.end());
};

/** The streams an audit covers: one SKU's, or every `sku-` stream. */
export const streamsToVerify = async (
  store: EventStore,
  skuId: string | undefined,
): Promise<E.Either<StoreError, ReadonlyArray<string>>> =>
  skuId !== undefined ? E.right([streamIdOf(skuId)]) : store.listStreams("sku-")();

export const summarise = (streams: ReadonlyArray<StreamReport>): AuditReport => {
  const violationCount = streams.reduce((n, s) => n + s.violationCount, 0);
  return {
    ok: violationCount === 0,
    streams,
    events: streams.reduce((n, s) => n + s.events, 0),
    violationCount,
  };
};

/**
 * `holdfast audit verify`: every `sku-` stream (or one), page by page, through the event store port, so
 * it works the same against PostgreSQL, EventStoreDB and memory. Streams are checked one at a time here;
 * `verifyStoreParallel` spreads them over worker threads.
 */
export const verifyStore = async (
  store: EventStore,
  opts: VerifyStoreOptions = {},
): Promise<E.Either<AuditRunError, AuditReport>> => {
  const ids = await streamsToVerify(store, opts.skuId);
  if (E.isLeft(ids)) return ids;
  const streams: StreamReport[] = [];
  for (const streamId of ids.right) {
    const report = await verifyStream(store, streamId, opts);
    if (E.isLeft(report)) return report;
    if (opts.skuId !== undefined && report.right.events === 0)
      return E.left({ _tag: "NoSuchStream", streamId });
    streams.push(report.right);
    opts.onStream?.(report.right);
  }
  return E.right(summarise(streams));
};
