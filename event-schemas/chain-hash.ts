import { hash as digest } from "node:crypto";
import type { Sha256Hex } from "./primitives.ts";

/**
 * The hash recipe of the event chain, in one place: `SHA-256(prevHash ‖ unhashed)` over the UTF-8 bytes
 * of the 64-character hex `prevHash` followed by `unhashed`, the RFC 8785 (JCS) text of the envelope
 * without its `hash` member. Whoever holds that text (the writer that just canonicalised it, a reader
 * that cut the hash member out of the stored text, an auditor that re-serialised a parsed envelope)
 * hashes it with this, so there is one definition to read and to change.
 *
 * One-shot digest (Node >= 20.12) of the concatenation: the same bytes as two updates, far cheaper.
 */
export const chainHash = (prevHash: string, unhashed: string): Sha256Hex =>
  digest("sha256", prevHash + unhashed, "hex") as Sha256Hex;
