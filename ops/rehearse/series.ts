import type { RehearsalResult } from "./rehearse.ts";

/** Per-second series for the report's charts (x = whole seconds after T0). */
export interface ReportSeries {
  readonly seconds: number[];
  readonly answersByStatus: Record<string, number[]>;
  readonly latency: {
    readonly p50: Array<number | null>;
    readonly p95: Array<number | null>;
    readonly p99: Array<number | null>;
  };
  readonly stock: {
    readonly seconds: number[];
    readonly available: Array<number | null>;
    readonly held: Array<number | null>;
    readonly sold: Array<number | null>;
  };
  readonly queue: {
    readonly seconds: number[];
    readonly lag: Array<number | null>;
    readonly ageSeconds: Array<number | null>;
  };
}

const quantile = (sorted: number[], q: number): number | null =>
  sorted.length === 0
    ? null
    : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null);

const statusName = (s: number) => (s === 0 ? "no answer" : String(s));

export const seriesOf = (r: RehearsalResult): ReportSeries => {
  const last = Math.max(0, ...r.attempts.map((a) => a.atMs), ...r.samples.map((s) => s.atMs));
  const n = Math.floor(last / 1000) + 1;
  const seconds = Array.from({ length: n }, (_, i) => i);
  // Reservation answers only (first sends and re-sends): polls and checkouts would count twice.
  const reservation = r.attempts.filter((a) => a.kind === "reserve" || a.kind === "resend");
  const statuses = [...new Set(reservation.map((a) => statusName(a.status)))].sort();
  const answersByStatus: Record<string, number[]> = {};
  for (const s of statuses) answersByStatus[s] = new Array<number>(n).fill(0);
  const lat: number[][] = Array.from({ length: n }, () => []);
  for (const a of reservation) {
    const i = Math.floor(a.atMs / 1000);
    const row = answersByStatus[statusName(a.status)];
    if (row !== undefined && i < n) row[i] = (row[i] ?? 0) + 1;
    if (a.status !== 0) lat[i]?.push(a.latencyMs);
  }
  for (const l of lat) l.sort((x, y) => x - y);
  const samples = [...r.samples].sort((a, b) => a.atMs - b.atMs);
  return {
    seconds,
    answersByStatus,
    latency: {
      p50: lat.map((l) => quantile(l, 0.5)),
      p95: lat.map((l) => quantile(l, 0.95)),
      p99: lat.map((l) => quantile(l, 0.99)),
    },
    stock: {
      seconds: samples.map((s) => s.atMs / 1000),
      available: samples.map((s) => s.available),
      held: samples.map((s) => s.held),
      sold: samples.map((s) => s.sold),
    },
    queue: {
      seconds: samples.map((s) => s.atMs / 1000),
      lag: samples.map((s) => s.queueLag),
      ageSeconds: samples.map((s) => s.oldestAgeSeconds),
    },
  };
};

/** Overall reservation latency percentiles (ms) over the whole run. */
export const overallLatency = (r: RehearsalResult) => {
  const all = r.attempts
    .filter((a) => (a.kind === "reserve" || a.kind === "resend") && a.status !== 0)
    .map((a) => a.latencyMs)
    .sort((x, y) => x - y);
  return { p50: quantile(all, 0.5), p95: quantile(all, 0.95), p99: quantile(all, 0.99), count: all.length };
};
