/**
 * Signed checkpoints (tree heads) live in event-schemas/merkle/tree-head.ts, the published contract,
 * because the checkpoint publisher signs them too; the auditor's modules import them from here.
 */
export {
  Checkpoint,
  type CheckpointFields,
  checkpointSignatureValid,
  decodeCheckpoint,
  generateKeyPair,
  isTreeHead,
  type KeyError,
  parseCheckpoint,
  signCheckpoint,
  signedBytes,
  type TreeHead,
  type TreeHeadFields,
} from "../../event-schemas/index.ts";
