import * as crypto from "node:crypto";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import {
  canonicalJson,
  Count,
  describeDecodeErrors,
  IsoInstant,
  Sha256Hex,
} from "../../event-schemas/index.ts";

/**
 * A signed checkpoint: an auditor's signature over one stream's chain at one revision. Because every
 * hash covers the one before it, `hash` at `revision` commits to the whole stream up to there, so
 * anyone with the public key can later check that the stream still extends it unchanged.
 *
 * `signature` = base64 Ed25519 signature over the RFC 8785 JSON of the other four fields.
 */
export const Checkpoint = t.type({
  streamId: t.string,
  revision: Count,
  hash: Sha256Hex,
  signedAt: IsoInstant,
  signature: t.string,
});
export type Checkpoint = t.TypeOf<typeof Checkpoint>;
export type CheckpointFields = Omit<Checkpoint, "signature">;

export type KeyError = { readonly _tag: "BadKey"; readonly message: string };

/** The exact bytes that are signed. */
export const signedBytes = (c: CheckpointFields): Buffer =>
  Buffer.from(
    canonicalJson({ streamId: c.streamId, revision: c.revision, hash: c.hash, signedAt: c.signedAt }),
    "utf8",
  );

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

export const signCheckpoint = (
  fields: CheckpointFields,
  privatePem: string,
): E.Either<KeyError, Checkpoint> =>
  E.map((key: crypto.KeyObject) => ({
    streamId: fields.streamId,
    revision: fields.revision,
    hash: fields.hash,
    signedAt: fields.signedAt,
    signature: crypto.sign(null, signedBytes(fields), key).toString("base64"),
  }))(ed25519(() => crypto.createPrivateKey(privatePem), "the private key"));

/** Right(true) when the signature is the public key's over the checkpoint's fields. */
export const checkpointSignatureValid = (c: Checkpoint, publicPem: string): E.Either<KeyError, boolean> =>
  E.map((key: crypto.KeyObject) => {
    try {
      return crypto.verify(null, signedBytes(c), key, Buffer.from(c.signature, "base64"));
    } catch {
      return false;
    }
  })(ed25519(() => crypto.createPublicKey(publicPem), "the public key"));

/** Decode a checkpoint from its JSON text. */
export const parseCheckpoint = (text: string): E.Either<string, Checkpoint> => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return E.left(`not JSON: ${(e as Error).message}`);
  }
  const d = Checkpoint.decode(raw);
  if (E.isRight(d)) return d;
  return E.left(`not a checkpoint: ${describeDecodeErrors(d.left, 1)}`);
};
