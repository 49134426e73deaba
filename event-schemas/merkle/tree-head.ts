import * as crypto from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { canonicalJson } from "../canonical-json.ts";
import { describeDecodeErrors } from "../decode-errors.ts";
import { Count, IsoInstant, Sha256Hex } from "../primitives.ts";

/**
 * A signed tree head (also called a checkpoint): an operator's or auditor's Ed25519 signature over one
 * stream at one point. `hash` is the chain hash at `revision`, which commits to every earlier event;
 * `root` is the RFC 9162 Merkle tree hash over the events' hashes at revisions 0…size−1, which lets
 * anyone check an O(log n) inclusion proof against it and a consistency proof that a later head extends
 * it. `size` is always `revision + 1`.
 *
 * `signature` = base64 Ed25519 over the RFC 8785 JSON of every other field. Checkpoints signed before
 * the tree existed have no `size` and `root` (and their signature covers the other four fields): they
 * still decode and verify, but only a head with a root can anchor tree proofs (`isTreeHead`).
 */
export const Checkpoint = t.intersection([
  t.type({
    streamId: t.string,
    revision: Count,
    hash: Sha256Hex,
    signedAt: IsoInstant,
    signature: t.string,
  }),
  t.partial({ size: Count, root: Sha256Hex }),
]);
export type Checkpoint = t.TypeOf<typeof Checkpoint>;
export type CheckpointFields = Omit<Checkpoint, "signature">;
export type TreeHead = Checkpoint & { readonly size: number; readonly root: Sha256Hex };
export type TreeHeadFields = Omit<TreeHead, "signature">;

export const isTreeHead = (c: Checkpoint): c is TreeHead => c.size !== undefined && c.root !== undefined;

export type KeyError = { readonly _tag: "BadKey"; readonly message: string };

/** Only the defined fields, so a field smuggled into a file is neither signed nor trusted. */
export const checkpointFields = (c: CheckpointFields): CheckpointFields => ({
  streamId: c.streamId,
  revision: c.revision,
  hash: c.hash,
  ...(c.size === undefined ? {} : { size: c.size }),
  ...(c.root === undefined ? {} : { root: c.root }),
  signedAt: c.signedAt,
});

/** The exact bytes that are signed. */
export const signedBytes = (c: CheckpointFields): Buffer =>
  Buffer.from(canonicalJson(checkpointFields(c)), "utf8");

/** A fresh Ed25519 key pair as PEM (PKCS#8 private, SPKI public). */
export const generateKeyPair = (): { readonly privatePem: string; readonly publicPem: string } => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
};

const ed25519 = <K extends crypto.KeyObject>(make: () => K, what: string): E.Either<KeyError, K> => {
  try {
    const key = make();
    return key.asymmetricKeyType === "ed25519"
      ? E.right(key)
      : E.left({ _tag: "BadKey", message: `${what} is a ${key.asymmetricKeyType} key, not Ed25519` });
  } catch (e) {
    return E.left({ _tag: "BadKey", message: `${what} is not a PEM key: ${(e as Error).message}` });
  }
};

export const privateKeyOf = (pem: string) => ed25519(() => crypto.createPrivateKey(pem), "the private key");
export const publicKeyOf = (pem: string) => ed25519(() => crypto.createPublicKey(pem), "the public key");

/** Sign `bytes` with an Ed25519 private key (PEM), base64. */
export const signBytes = (bytes: Buffer, privatePem: string): E.Either<KeyError, string> =>
  E.map((key: crypto.KeyObject) => crypto.sign(null, bytes, key).toString("base64"))(
    privateKeyOf(privatePem),
  );

/** Right(true) when `signature` (base64) is the public key's over `bytes`. */
export const signatureValid = (
  bytes: Buffer,
  signature: string,
  publicPem: string,
): E.Either<KeyError, boolean> =>
  E.map((key: crypto.KeyObject) => {
    try {
      return crypto.verify(null, bytes, key, Buffer.from(signature, "base64"));
    } catch {
      return false;
    }
  })(publicKeyOf(publicPem));

export const signCheckpoint = <F extends CheckpointFields>(
  fields: F,
  privatePem: string,
): E.Either<KeyError, F & { readonly signature: string }> =>
  E.map((signature: string) => ({ ...checkpointFields(fields), signature }) as F & { signature: string })(
    signBytes(signedBytes(fields), privatePem),
  );

/** Right(true) when the signature is the public key's over the checkpoint's fields. */
export const checkpointSignatureValid = (c: Checkpoint, publicPem: string): E.Either<KeyError, boolean> =>
  signatureValid(signedBytes(c), c.signature, publicPem);

/** Decode a checkpoint (a JSON value): the codec, plus `size = revision + 1` when it has a tree. */
export const decodeCheckpoint = (raw: unknown): E.Either<string, Checkpoint> => {
  const d = Checkpoint.decode(raw);
  if (E.isLeft(d)) return E.left(`not a checkpoint: ${describeDecodeErrors(d.left, 2)}`);
  const c = d.right;
  if ((c.size === undefined) !== (c.root === undefined))
    return E.left("not a checkpoint: it has one of size and root without the other");
  if (c.size !== undefined && c.size !== c.revision + 1)
    return E.left(`not a checkpoint: size ${c.size} is not revision ${c.revision} + 1`);
  return E.right(c);
};

/** Decode a checkpoint from its JSON text. */
export const parseCheckpoint = (text: string): E.Either<string, Checkpoint> => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return E.left(`not JSON: ${(e as Error).message}`);
  }
  return decodeCheckpoint(raw);
};
