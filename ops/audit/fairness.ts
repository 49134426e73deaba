import type { EventEnvelope, SkuEvent } from "../../event-schemas/index.ts";
import type { Before } from "./ledger.ts";
import type { Issue } from "./violation.ts";

/** A request that went without stock it asked for, waiting to see whether a later one got that stock. */
interface Unserved {
  readonly revision: number;
  readonly queuePosition: number;
  readonly reservationId: string;
  /** The fewest units that would have served it: quantityRequested, or 1 under allowPartial. */
  readonly need: number;
}

/**
 * First come, first served, checked from the log alone (the rule, stated exactly in README.md):
 *
 * A request is *unserved for stock* when it is rejected `sold-out` or `insufficient-stock` (it needed
 * `quantityRequested` units, or 1 under `allowPartial`), or when an `allowPartial` hold got fewer units
 * than it asked for while its per-user limit allowed more (it needed 1 more unit). A *release* is any
 * event that returns units to stock: ReservationCancelled, ReservationExpired, PaymentFailed,
 * StockAdded. Between two releases available stock only falls, so:
 * 1. a stock refusal must be true when made: available < need (else a violation at the refusal);
 * 2. an allowPartial hold cut short must have taken every available unit;
 * 3. no later request (greater queue position) may get a hold of at least `need` units before the next
 *    release (else a violation at that hold, naming the request it overtook).
 * Constant memory: only the smallest-need unserved request since the last release is kept.
 */
export class FairnessCheck {
  private unserved: Unserved | null = null;

  /** Check `event` and push what it breaks onto `issues` (returned; a new array unless one is given). */
  observe(env: EventEnvelope, event: SkuEvent, before: Before, issues: Issue[] = []): Issue[] {
    switch (event.type) {
      case "ReservationCancelled":
      case "ReservationExpired":
      case "PaymentFailed":
      case "StockAdded":
        this.unserved = null;
        break;
      case "ReservationRejected": {
        const d = event.data;
        if (d.reason !== "sold-out" && d.reason !== "insufficient-stock") break;
        const need = d.allowPartial ? 1 : d.quantityRequested;
        if (before.available >= need)
          unfair(
            issues,
            env.revision,
            `request ${d.reservationId} was refused (${d.reason}) while ${before.available} units were available and it needed ${need}`,
          );
        this.remember(env, d.reservationId, need);
        break;
      }
      case "ReservationPlaced": {
        const d = event.data;
        const u = this.unserved;
        if (u !== null && d.quantity >= u.need && env.queuePosition > u.queuePosition)
          unfair(
            issues,
            env.revision,
            `hold ${d.reservationId} (queue position ${env.queuePosition}) got ${d.quantity} units, but the earlier request ${u.reservationId} (revision ${u.revision}, queue position ${u.queuePosition}) was left without stock needing ${u.need}, and no units were returned in between`,
          );
        const short = d.allowPartial && d.quantity < d.quantityRequested && d.quantity < before.limitLeft;
        if (short) {
          if (d.quantity < before.available)
            unfair(
              issues,
              env.revision,
              `hold ${d.reservationId} got ${d.quantity} of ${d.quantityRequested} while ${before.available} units were available`,
            );
          this.remember(env, d.reservationId, 1);
        }
        break;
      }
      default:
        break;
    }
    return issues;
  }

  /** Keep the request if it needs less than the one kept (a record only then: most refusals need more). */
  private remember(env: EventEnvelope, reservationId: string, need: number): void {
    if (this.unserved === null || need < this.unserved.need)
      this.unserved = { revision: env.revision, queuePosition: env.queuePosition, reservationId, need };
  }
}

// Module-level rather than a closure per event (see ledger.ts's `inconsistent`).
const unfair = (issues: Issue[], revision: number, message: string): void => {
  issues.push({ revision, rule: "fairness/first-come-first-served", message });
};
