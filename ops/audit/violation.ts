/**
 * What the auditor reports: a broken rule, named with the stream and revision where it shows. Rule names
 * are stable (scripts match on them); ops/audit/README.md explains each.
 */
export type Rule =
  | "chain/revision-gap"
  | "chain/revision-order"
  | "chain/broken-link"
  | "chain/hash-mismatch"
  | "chain/foreign-stream"
  | "chain/corrupt-event"
  | "decode/invalid-event"
  | "order/queue-position"
  | "invariant/oversold"
  | "invariant/per-user-limit"
  | "invariant/consistency"
  | "replay/decision-mismatch"
  | "fairness/first-come-first-served"
  | "checkpoint/signature"
  | "checkpoint/diverged"
  | "checkpoint/missing";

export interface Violation {
  readonly streamId: string;
  readonly revision: number;
  readonly rule: Rule;
  readonly message: string;
}

/** A violation before it is placed in a stream (the checkers know the revision, the caller the stream). */
export interface Issue {
  readonly revision: number;
  readonly rule: Rule;
  readonly message: string;
}
