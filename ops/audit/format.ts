import { money } from "./describe-event.ts";
import type { AuditReport } from "./verify-store.ts";
import type { ReplayView } from "./replay-at.ts";
import type { Violation } from "./violation.ts";

const n = (x: number) => x.toLocaleString("en-US");

export const formatViolation = (v: Violation): string =>
  `  ✗ ${v.streamId} r${v.revision}  ${v.rule}\n      ${v.message}`;

/**
 * The human summary of `holdfast audit verify`: per stream, its first `shown` violations in revision
 * order (the first is usually the cause, later ones its consequences), then counts by rule. `--json`
 * carries up to 100 of each rule.
 */
export const formatAuditReport = (r: AuditReport, shown = 25): string => {
  const lines: string[] = [];
  for (const s of r.streams) {
    const tip = s.tip === null ? "empty" : `tip r${s.tip.revision} ${s.tip.hash.slice(0, 12)}…`;
    const verdict = s.violationCount === 0 ? "ok" : `${n(s.violationCount)} violation(s)`;
    lines.push(
      `${s.violationCount === 0 ? "✓" : "✗"} ${s.streamId}  ${n(s.events)} events  ${tip}  ${verdict}`,
    );
    for (const v of s.violations.slice(0, shown)) lines.push(formatViolation(v));
    if (s.violationCount > shown)
      lines.push(
        `    … ${n(s.violationCount - shown)} more; by rule: ${Object.entries(s.byRule)
          .map(([k, c]) => `${k} ${n(c)}`)
          .join(", ")} (--json lists up to 100 of each)`,
      );
    if (s.semanticChecksStoppedAt !== null)
      lines.push(
        `    invariants, decision replay and fairness stopped at r${s.semanticChecksStoppedAt}: an event is missing or unreadable there, so the state after it is unknown`,
      );
  }
  lines.push(
    `${r.ok ? "CLEAN" : "VIOLATIONS"}: ${n(r.streams.length)} stream(s), ${n(r.events)} events checked (chain, decode, invariants, decision replay, fairness), ${n(r.violationCount)} violation(s)`,
  );
  return lines.join("\n");
};

const pad = (s: string, w: number) => (s.length >= w ? s : s + " ".repeat(w - s.length));
const table = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string[] => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: ReadonlyArray<string>) => `  ${r.map((c, i) => pad(c, widths[i]!)).join("  ")}`.trimEnd();
  return [line(head), ...rows.map(line)];
};

/** The human view of `holdfast replay`. */
export const formatReplay = (v: ReplayView): string => {
  const lines: string[] = [];
  lines.push(`${v.streamId} at revision ${v.revision ?? "(none)"}${v.at === null ? "" : ` (${v.at})`}`);
  const a = v.availability;
  lines.push(
    a === null
      ? "  not listed at that point"
      : `  status ${a.status} · stock ${n(a.total)} · available ${n(a.available)} · held ${n(a.held)} · sold ${n(a.sold)}`,
  );
  const counts = Object.entries(v.reservationCounts).map(([k, c]) => `${k} ${n(c)}`);
  lines.push(`  reservations: ${counts.length === 0 ? "none" : counts.join(", ")}`);
  lines.push("", `live holds (${v.liveHolds.length}):`);
  if (v.liveHolds.length > 0)
    lines.push(
      ...table(
        ["RESERVATION", "SHOPPER", "QTY", "STATUS", "EXPIRES AT", "ORDER"],
        v.liveHolds.map((h) => [
          h.reservationId,
          h.userId,
          String(h.quantity),
          h.status,
          h.expiresAt,
          h.orderId ?? "-",
        ]),
      ),
    );
  lines.push("", `orders (${v.orders.length}):`);
  if (v.orders.length > 0)
    lines.push(
      ...table(
        ["ORDER", "RESERVATION", "SHOPPER", "QTY", "AMOUNT", "STATUS"],
        v.orders.map((o) => [
          o.orderId,
          o.reservationId,
          o.userId,
          String(o.quantity),
          money(o.amountCents, o.currency),
          o.status,
        ]),
      ),
    );
  const shown =
    v.events.length < v.eventCount ? `last ${v.events.length} of ${n(v.eventCount)}` : n(v.eventCount);
  lines.push("", `events (${shown}):`);
  lines.push(
    ...table(
      ["REV", "OCCURRED AT", "QUEUE", "TYPE", "DETAIL"],
      v.events.map((e) => [String(e.revision), e.occurredAt, String(e.queuePosition), e.type, e.detail]),
    ),
  );
  if (v.chainViolations.length > 0) {
    lines.push("", "WARNING: the chain is broken on the way (run `holdfast audit verify`):");
    for (const x of v.chainViolations) lines.push(formatViolation(x));
  }
  return lines.join("\n");
};
