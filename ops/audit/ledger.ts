import { absurd } from "fp-ts/lib/function.js";
import type { EventEnvelope, SkuEvent } from "../../event-schemas/index.ts";
import type { Issue } from "./violation.ts";

type HoldStatus = "held" | "ordered" | "sold" | "cancelled" | "expired" | "released";
type OrderStatus = "pending" | "unresolved" | "confirmed" | "failed";

/** A shopper's units held, ordered or sold (what the per-user limit bounds). */
interface Shopper {
  units: number;
}

/** A hold, with its shopper's record, so releasing it needs no lookup. */
interface Hold {
  readonly userId: string;
  readonly quantity: number;
  readonly expiresAt: string;
  readonly shopper: Shopper;
  status: HoldStatus;
}

/** An order, with the hold it came from, so its payment needs one lookup (the order's). */
interface Order {
  readonly reservationId: string;
  readonly userId: string;
  readonly quantity: number;
  readonly hold: Hold;
  status: OrderStatus;
}

/** Figures the fairness check needs about the moment just before an event. */
export interface Before {
  /** stock - held - sold before the event (after the lazy expiries of the same command). */
  readonly available: number;
  /** Units a hold's shopper could still take under the per-user limit (Infinity for other events). */
  readonly limitLeft: number;
}

/**
 * The auditor's own account of a SKU, written independently of `domain/` so that a bug in the decider's
 * `evolve` cannot hide a broken invariant. After every event it checks:
 * - `invariant/oversold`: held + sold <= stock (held counts live holds and orders awaiting payment);
 * - `invariant/per-user-limit`: each shopper's held + ordered + sold <= perUserLimit;
 * - `invariant/consistency`: the event can follow the state (a cancel, expiry or checkout of a hold that
 *   is live and matches; a payment of an order awaiting payment; figures that add up; expiries not
 *   before the deadline; cancels and checkouts before it).
 * Memory: one small record per hold, order and shopper (rejected requests keep nothing).
 *
 * Speed: one map lookup per event where it can (the records point at each other: an order at its hold,
 * a hold at its shopper), since probing maps of hundreds of thousands of fresh id strings was the
 * largest part of this check.
 */
export class Ledger {
  private listed = false;
  private closed = false;
  private stock = 0;
  private held = 0;
  private sold = 0;
  private perUserLimit = 0;
  private priceCents = 0;
  private currency = "";
  private readonly holds = new Map<string, Hold>();
  private readonly orders = new Map<string, Order>();
  private readonly shoppers = new Map<string, Shopper>();
  /** The shopper `before` looked up for this event (a hold), so `apply` need not look again. */
  private beforeEvent: SkuEvent | null = null;
  private beforeShopper: Shopper | undefined = undefined;
  /** Oversold is reported when it starts (and again if it grows), not at every event while it lasts. */
  private oversoldBy = 0;
  /** What `before` returns, rewritten at each call rather than made per event. */
  private readonly figuresBefore = { available: 0, limitLeft: 0 };

  /**
   * What the shop looked like just before `event` (call before `apply`). The same object is rewritten
   * by the next call: read it before then.
   */
  before(event: SkuEvent): Before {
    const b = this.figuresBefore;
    b.available = this.stock - this.held - this.sold;
    // Only a hold's limit matters (fairness asks whether a partial hold was cut short by stock); half
    // of a sold-out sale's events are rejections, and this spares each of them a lookup.
    if (event.type !== "ReservationPlaced") {
      b.limitLeft = Number.POSITIVE_INFINITY;
      return b;
    }
    const shopper = this.shoppers.get(event.data.userId);
    this.beforeEvent = event;
    this.beforeShopper = shopper;
    b.limitLeft = this.perUserLimit - (shopper?.units ?? 0);
    return b;
  }

  /** The record of a hold's shopper (made on their first hold). */
  private shopperOf(event: SkuEvent, userId: string): Shopper {
    // Records are never replaced, so the one `before` found is still this shopper's.
    let s = (this.beforeEvent === event ? this.beforeShopper : undefined) ?? this.shoppers.get(userId);
    this.beforeEvent = null;
    this.beforeShopper = undefined;
    if (s === undefined) {
      s = { units: 0 };
      this.shoppers.set(userId, s);
    }
    return s;
  }

  figures() {
    return { listed: this.listed, closed: this.closed, stock: this.stock, held: this.held, sold: this.sold };
  }

  /** Apply `event` and push what it breaks onto `issues` (returned; a new array unless one is given). */
  apply(env: EventEnvelope, event: SkuEvent, issues: Issue[] = []): Issue[] {
    const r = env.revision;
    if (!this.listed && event.type !== "SkuListed") {
      inconsistent(issues, r, `${event.type} before the SKU was listed`);
      return issues;
    }
    switch (event.type) {
      case "SkuListed": {
        if (this.listed) {
          inconsistent(issues, r, "the SKU is listed a second time");
          break;
        }
        const d = event.data;
        if (env.streamId !== `sku-${d.skuId}`)
          inconsistent(issues, r, `SkuListed for ${d.skuId} in stream ${env.streamId}`);
        this.listed = true;
        this.stock = d.stock;
        this.perUserLimit = d.perUserLimit;
        this.priceCents = d.priceCents;
        this.currency = d.currency;
        break;
      }
      case "StockAdded":
        if (event.data.stock !== this.stock + event.data.quantity)
          inconsistent(
            issues,
            r,
            `stock ${this.stock} + ${event.data.quantity} recorded as ${event.data.stock}`,
          );
        this.stock += event.data.quantity;
        break;
      case "SaleClosed":
        if (this.closed) inconsistent(issues, r, "the sale is closed a second time");
        this.closed = true;
        break;
      case "ReservationPlaced": {
        const d = event.data;
        if (this.holds.has(d.reservationId)) {
          inconsistent(issues, r, `reservation ${d.reservationId} is placed a second time`);
          break;
        }
        if (this.closed) inconsistent(issues, r, `hold ${d.reservationId} placed after the sale closed`);
        if (d.quantity > d.quantityRequested || (!d.allowPartial && d.quantity !== d.quantityRequested))
          inconsistent(
            issues,
            r,
            `hold ${d.reservationId} allocates ${d.quantity} for a request of ${d.quantityRequested} (allowPartial ${d.allowPartial})`,
          );
        const shopper = this.shopperOf(event, d.userId);
        this.holds.set(d.reservationId, {
          userId: d.userId,
          quantity: d.quantity,
          expiresAt: d.expiresAt,
          shopper,
          status: "held",
        });
        this.held += d.quantity;
        shopper.units += d.quantity;
        const used = shopper.units;
        if (used > this.perUserLimit)
          issues.push({
            revision: r,
            rule: "invariant/per-user-limit",
            message: `shopper ${d.userId} has ${used} units held, ordered or sold; the limit is ${this.perUserLimit}`,
          });
        break;
      }
      case "ReservationRejected":
        break;
      case "ReservationCancelled":
      case "ReservationExpired": {
        const d = event.data;
        const h = this.liveHold(d.reservationId, event.type, issues, r);
        if (h === undefined) break;
        if (h.userId !== d.userId || h.quantity !== d.quantity)
          inconsistent(
            issues,
            r,
            `${event.type} says ${d.userId}×${d.quantity}, the hold is ${h.userId}×${h.quantity}`,
          );
        if (event.type === "ReservationExpired") {
          if (event.data.expiresAt !== h.expiresAt)
            inconsistent(
              issues,
              r,
              `expiry deadline ${event.data.expiresAt} differs from the hold's ${h.expiresAt}`,
            );
          if (env.occurredAt < h.expiresAt)
            inconsistent(issues, r, `hold ${d.reservationId} expired before its deadline ${h.expiresAt}`);
        } else if (env.occurredAt >= h.expiresAt)
          inconsistent(
            issues,
            r,
            `hold ${d.reservationId} cancelled at or after its deadline ${h.expiresAt}`,
          );
        this.release(h, event.type === "ReservationCancelled" ? "cancelled" : "expired");
        break;
      }
      case "OrderPlaced": {
        const d = event.data;
        if (this.orders.has(d.orderId)) {
          inconsistent(issues, r, `order ${d.orderId} is placed a second time`);
          break;
        }
        const h = this.liveHold(d.reservationId, event.type, issues, r);
        if (h === undefined) break;
        if (h.userId !== d.userId) inconsistent(issues, r, `order by ${d.userId} for a hold of ${h.userId}`);
        if (h.quantity !== d.quantity)
          inconsistent(issues, r, `order of ${d.quantity} for a hold of ${h.quantity}`);
        if (env.occurredAt >= h.expiresAt)
          inconsistent(issues, r, `checkout at or after the hold's deadline ${h.expiresAt}`);
        if (d.amountCents !== this.priceCents * d.quantity || d.currency !== this.currency)
          inconsistent(
            issues,
            r,
            `order amount ${d.amountCents} ${d.currency}, expected ${this.priceCents * d.quantity} ${this.currency}`,
          );
        h.status = "ordered";
        this.orders.set(d.orderId, {
          reservationId: d.reservationId,
          userId: h.userId,
          quantity: h.quantity,
          hold: h,
          status: "pending",
        });
        break;
      }
      case "PaymentSucceeded":
      case "PaymentFailed":
      case "PaymentUnresolved": {
        const d = event.data;
        const o = this.orders.get(d.orderId);
        if (o === undefined) {
          inconsistent(issues, r, `${event.type} for order ${d.orderId}, which was never placed`);
          break;
        }
        if (o.status !== "pending" && o.status !== "unresolved") {
          inconsistent(issues, r, `${event.type} for order ${d.orderId}, already ${o.status}`);
          break;
        }
        if (o.reservationId !== d.reservationId)
          inconsistent(
            issues,
            r,
            `${event.type} names reservation ${d.reservationId}, the order's is ${o.reservationId}`,
          );
        if (event.type === "PaymentUnresolved") {
          o.status = "unresolved";
          break;
        }
        if (event.data.quantity !== o.quantity)
          inconsistent(issues, r, `${event.type} of ${event.data.quantity}, the order is ${o.quantity}`);
        this.held -= o.quantity;
        if (event.type === "PaymentSucceeded") {
          o.status = "confirmed";
          this.sold += o.quantity;
          o.hold.status = "sold";
        } else {
          o.status = "failed";
          o.hold.shopper.units -= o.quantity;
          o.hold.status = "released";
        }
        break;
      }
      default:
        return absurd(event);
    }
    const excess = this.held + this.sold - this.stock;
    if (excess > this.oversoldBy)
      issues.push({
        revision: r,
        rule: "invariant/oversold",
        message: `held ${this.held} + sold ${this.sold} exceeds stock ${this.stock}`,
      });
    this.oversoldBy = Math.max(0, excess);
    if (this.held < 0 || this.sold < 0)
      inconsistent(issues, r, `negative figures: held ${this.held}, sold ${this.sold}`);
    return issues;
  }

  private liveHold(id: string, type: string, issues: Issue[], r: number): Hold | undefined {
    const h = this.holds.get(id);
    if (h === undefined) inconsistent(issues, r, `${type} for hold ${id}, which was never placed`);
    else if (h.status !== "held") inconsistent(issues, r, `${type} for hold ${id}, which is ${h.status}`);
    else return h;
    return undefined;
  }

  private release(h: Hold, status: HoldStatus): void {
    h.status = status;
    this.held -= h.quantity;
    h.shopper.units -= h.quantity;
  }
}

// Module-level rather than a closure made per event.
const inconsistent = (issues: Issue[], revision: number, message: string): void => {
  issues.push({ revision, rule: "invariant/consistency", message });
};
