/**
 * The simulator's memory: one payment per idempotency key, and counters that let tests prove that a key
 * was charged at most once (`charges`) while seeing how often it was asked (`chargeRequests`,
 * `statusRequests`).
 */
export interface PaymentRecord {
  readonly key: string;
  /** The request body as first seen: a replay with another body is refused (422). */
  readonly fingerprint: string;
  readonly status: "succeeded" | "declined";
  readonly paymentId: string | null;
  readonly reason: string | null;
  readonly amountCents: number;
  readonly currency: string;
  readonly reference: string;
  readonly createdAt: string;
}

export interface LedgerStats {
  readonly totalCharges: number;
  readonly charges: Readonly<Record<string, number>>;
  readonly chargeRequests: Readonly<Record<string, number>>;
  readonly statusRequests: Readonly<Record<string, number>>;
}

export interface Ledger {
  get(key: string): PaymentRecord | undefined;
  /** Record the outcome of a key's first request; a charge counts once per call. */
  record(payment: PaymentRecord): void;
  countChargeRequest(key: string): void;
  countStatusRequest(key: string): void;
  nextPaymentId(): string;
  stats(): LedgerStats;
}

const bump = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);

export const makeLedger = (): Ledger => {
  const payments = new Map<string, PaymentRecord>();
  const charges = new Map<string, number>();
  const chargeRequests = new Map<string, number>();
  const statusRequests = new Map<string, number>();
  let sequence = 0;
  return {
    get: (key) => payments.get(key),
    record(payment) {
      payments.set(payment.key, payment);
      if (payment.status === "succeeded") bump(charges, payment.key);
    },
    countChargeRequest: (key) => bump(chargeRequests, key),
    countStatusRequest: (key) => bump(statusRequests, key),
    nextPaymentId: () => {
      sequence += 1;
      return `pay_${String(sequence).padStart(8, "0")}`;
    },
    stats: () => ({
      totalCharges: [...charges.values()].reduce((a, b) => a + b, 0),
      charges: Object.fromEntries(charges),
      chargeRequests: Object.fromEntries(chargeRequests),
      statusRequests: Object.fromEntries(statusRequests),
    }),
  };
};
