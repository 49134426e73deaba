import * as E from "fp-ts/lib/Either.js";
import type { StoredEvent, StoreError } from "../../infra/event-store/port.ts";
import type { ScannedEvent } from "../../event-schemas/sku/scan-event.ts";
import { decodeVerifiedStoredEvent, scanVerified } from "../../infra/event-store/stored-text.ts";
import { projectedOf } from "./apply.ts";
import type { ProjectedEvent } from "./projection.ts";

/** Why a stored event cannot be projected, named by tag and message (a bigint position has no JSON). */
export const describeStoreError = (e: StoreError): string =>
  `${e._tag}${"message" in e ? `: ${e.message}` : ""}`;

/**
 * A stored event of the feed, already verified (its bytes hash to `hash`), as projectors see it. The
 * scanner (event-schemas/sku/scan-event.ts) reads the canonical text without `JSON.parse`, with the same
 * checks as the full decode; it must find the verified hash and the stream the store filed the event
 * under. Whatever it does not vouch for (an older schema version to upcast, anything odd) takes the full
 * road: `decodeVerifiedStoredEvent`, then the upcast, which accepts or says what is wrong.
 */
export const projectStored = (e: StoredEvent): E.Either<string, ProjectedEvent> => {
  const s = scanVerified(e);
  return s !== null ? E.right(scannedProjected(e, s)) : projectedInFull(e);
};

const scannedProjected = (e: StoredEvent, s: ScannedEvent): ProjectedEvent => ({
  envelope: s.envelope,
  event: s.event,
  position: e.position,
  storedText: e.storedText,
});

/** The full road, for what the scanner does not vouch for. */
const projectedInFull = (e: StoredEvent): E.Either<string, ProjectedEvent> => {
  const r = decodeVerifiedStoredEvent(e);
  return E.isLeft(r) ? E.left(describeStoreError(r.left)) : projectedOf(r.right);
};

/**
 * A verified page as projectors see it; the first event that cannot be projected is the page's error.
 * (A plain loop: the scanner's reading goes straight into the page, with no `Either` per event.)
 */
export const projectStoredPage = (
  page: ReadonlyArray<StoredEvent>,
): E.Either<string, ReadonlyArray<ProjectedEvent>> => {
  const out: ProjectedEvent[] = new Array(page.length);
  for (let i = 0; i < page.length; i++) {
    const e = page[i]!;
    const s = scanVerified(e);
    if (s !== null) {
      out[i] = scannedProjected(e, s);
      continue;
    }
    const r = projectedInFull(e);
    if (E.isLeft(r)) return E.left(`position ${e.position}: ${r.left}`);
    out[i] = r.right;
  }
  return E.right(out);
};
