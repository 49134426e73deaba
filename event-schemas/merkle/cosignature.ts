import * as crypto from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { canonicalJson } from "../canonical-json.ts";
import { describeDecodeErrors } from "../decode-errors.ts";
import {
  Checkpoint,
  checkpointFields,
  isTreeHead,
  type KeyError,
  publicKeyOf,
  signatureValid,
  signBytes,
  type TreeHead,
} from "./tree-head.ts";

/**
 * A witness's co-signature of a tree head: "I checked that this head extends every earlier head of its
 * stream I have seen". `witness` names the witness's key (`keyId`), `signature` is base64 Ed25519 over
 * `holdfast-cosignature/1\n` followed by the RFC 8785 JSON of `{head, witness}` (the head with the
 * operator's signature, so a co-signature can never be moved to another head or another operator).
 */
export const Cosignature = t.type({ head: Checkpoint, witness: t.string, signature: t.string });
export type Cosignature = t.TypeOf<typeof Cosignature>;

const DOMAIN = "holdfast-cosignature/1\n";

const cosignedBytes = (head: TreeHead, witness: string): Buffer =>
  Buffer.from(
    DOMAIN + canonicalJson({ head: { ...checkpointFields(head), signature: head.signature }, witness }),
    "utf8",
  );

/** A key's id: `ed25519:` and the SHA-256 of its SPKI DER encoding, hex. */
export const keyId = (publicPem: string): E.Either<KeyError, string> =>
  E.map(
    (k: crypto.KeyObject) =>
      `ed25519:${crypto
        .createHash("sha256")
        .update(k.export({ type: "spki", format: "der" }))
        .digest("hex")}`,
  )(publicKeyOf(publicPem));

export const cosign = (head: TreeHead, privatePem: string): E.Either<KeyError, Cosignature> => {
  let witness: string;
  try {
    witness = `ed25519:${crypto
      .createHash("sha256")
      .update(crypto.createPublicKey(privatePem).export({ type: "spki", format: "der" }))
      .digest("hex")}`;
  } catch (e) {
    return E.left({ _tag: "BadKey", message: `the witness key is not a PEM key: ${(e as Error).message}` });
  }
  return E.map((signature: string) => ({ head, witness, signature }))(
    signBytes(cosignedBytes(head, witness), privatePem),
  );
};

/** Right(true) when `c` is a co-signature of `c.head` by the witness whose public key is `publicPem`. */
export const cosignatureValid = (c: Cosignature, publicPem: string): E.Either<KeyError, boolean> =>
  E.chain((id: string) =>
    id !== c.witness || !isTreeHead(c.head)
      ? E.right(false)
      : signatureValid(cosignedBytes(c.head, c.witness), c.signature, publicPem),
  )(keyId(publicPem));

export const decodeCosignature = (raw: unknown): E.Either<string, Cosignature> => {
  const d = Cosignature.decode(raw);
  return E.isLeft(d) ? E.left(`not a co-signature: ${describeDecodeErrors(d.left, 2)}`) : d;
};
