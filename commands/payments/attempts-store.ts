import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import type { Pool } from "pg";
import type { GlobalPosition } from "../../infra/event-store/port.ts";
import { messageOf } from "../../infra/errors/message-of.ts";

/**
 * The saga's own state in PostgreSQL: `payment_attempts`, one row per order (keyed by order id), and
 * `payment_saga_checkpoint`. A charge attempt is counted BEFORE the call, so after a crash a row with
 * attempts > 0 means "a charge may have reached the gateway": the saga then asks for the status before
 * charging again. The decided outcome is stored before its command is enqueued, so a restart re-sends
 * the same outcome rather than deciding anew.
 */

export type AttemptState = "charging" | "succeeded" | "failed" | "unresolved";

export const AttemptRow = t.type({
  order_id: t.string,
  sku_id: t.string,
  position: t.string,
  amount_cents: t.string,
  currency: t.string,
  state: t.keyof({ charging: null, succeeded: null, failed: null, unresolved: null }),
  recorded: t.boolean,
  charge_attempts: t.number,
  status_queries: t.number,
  payment_id: t.union([t.string, t.null]),
  reason: t.union([t.string, t.null]),
  last_error: t.union([t.string, t.null]),
  settled_by: t.union([t.string, t.null]),
  started_at: t.unknown,
  updated_at: t.unknown,
});

export interface Attempt {
  readonly orderId: string;
  readonly skuId: string;
  readonly position: GlobalPosition;
  readonly amountCents: number;
  readonly currency: string;
  readonly state: AttemptState;
  /** The outcome's command was enqueued (or the outcome was seen in the log). */
  readonly recorded: boolean;
  readonly chargeAttempts: number;
  readonly statusQueries: number;
  readonly paymentId: string | null;
  readonly reason: string | null;
  readonly lastError: string | null;
  /** Who settled it: `saga`, `operator` or `log` (an outcome event seen on the feed). */
  readonly settledBy: string | null;
  readonly startedAt: Date;
  readonly updatedAt: Date;
}

export type AttemptsError =
  | { readonly _tag: "AttemptsUnavailable"; readonly message: string }
  | { readonly _tag: "InvalidAttemptRow"; readonly message: string };

export interface NewAttempt {
  readonly orderId: string;
  readonly skuId: string;
  readonly position: GlobalPosition;
  readonly amountCents: number;
  readonly currency: string;
  readonly startedAt: Date;
}

/** An outcome event seen on the feed. */
export interface LogSettlement {
  readonly orderId: string;
  readonly state: Exclude<AttemptState, "charging">;
  readonly paymentId?: string;
  readonly reason?: string;
}

/** The saga's tables. Every function answers errors as values. */
export interface AttemptsStore {
  ensureSchema(): TE.TaskEither<AttemptsError, void>;
  loadCheckpoint(name: string): TE.TaskEither<AttemptsError, GlobalPosition | null>;
  /** Moves forward only. */
  saveCheckpoint(name: string, position: GlobalPosition): TE.TaskEither<AttemptsError, void>;
  /** The order's row, created in state `charging` when it is new. */
  begin(attempt: NewAttempt): TE.TaskEither<AttemptsError, Attempt>;
  get(orderId: string): TE.TaskEither<AttemptsError, Attempt | null>;
  countCall(
    orderId: string,
    call: "charge" | "status",
    lastError: string | null,
  ): TE.TaskEither<AttemptsError, void>;
  noteError(orderId: string, lastError: string): TE.TaskEither<AttemptsError, void>;
  /** Store the decided outcome (before its command is enqueued). */
  decide(
    orderId: string,
    state: Exclude<AttemptState, "charging">,
    detail: { readonly paymentId?: string; readonly reason?: string },
  ): TE.TaskEither<AttemptsError, void>;
  markRecorded(orderId: string): TE.TaskEither<AttemptsError, void>;
  /** An outcome seen on the feed or set by an operator: it overrides whatever the saga thought. */
  settle(
    orderId: string,
    state: Exclude<AttemptState, "charging">,
    detail: { readonly paymentId?: string; readonly reason?: string },
    by: "log" | "operator",
  ): TE.TaskEither<AttemptsError, void>;
  /** Outcomes seen on the feed, in one statement (same rule as `settle`, by `log`). */
  settleFromLog(settlements: ReadonlyArray<LogSettlement>): TE.TaskEither<AttemptsError, void>;
  listByState(state: AttemptState): TE.TaskEither<AttemptsError, ReadonlyArray<Attempt>>;
}

const schemaSql = `
create table if not exists payment_saga_checkpoint (
  name text primary key,
  position bigint not null
);
create table if not exists payment_attempts (
  order_id text primary key,
  sku_id text not null,
  position bigint not null,
  amount_cents bigint not null,
  currency text not null,
  state text not null check (state in ('charging', 'succeeded', 'failed', 'unresolved')),
  recorded boolean not null default false,
  charge_attempts integer not null default 0,
  status_queries integer not null default 0,
  payment_id text,
  reason text,
  last_error text,
  settled_by text,
  started_at timestamptz not null,
  updated_at timestamptz not null default now()
);
create index if not exists payment_attempts_state on payment_attempts (state) where state <> 'succeeded';
`;

const toDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));

const decodeRow = (raw: unknown): E.Either<AttemptsError, Attempt> => {
  const r = AttemptRow.decode(raw);
  if (E.isLeft(r)) return E.left({ _tag: "InvalidAttemptRow", message: JSON.stringify(raw).slice(0, 300) });
  const row = r.right;
  return E.right({
    orderId: row.order_id,
    skuId: row.sku_id,
    position: BigInt(row.position),
    amountCents: Number(row.amount_cents),
    currency: row.currency,
    state: row.state,
    recorded: row.recorded,
    chargeAttempts: row.charge_attempts,
    statusQueries: row.status_queries,
    paymentId: row.payment_id,
    reason: row.reason,
    lastError: row.last_error,
    settledBy: row.settled_by,
    startedAt: toDate(row.started_at),
    updatedAt: toDate(row.updated_at),
  });
};

/** PostgreSQL adapter. `bigint` columns come back as strings from `pg`; the codec reads them as such. */
export const makePostgresAttemptsStore = (pool: Pool): AttemptsStore => {
  const run =
    <A>(f: () => Promise<A>): TE.TaskEither<AttemptsError, A> =>
    async () => {
      try {
        return E.right(await f());
      } catch (e) {
        return E.left({ _tag: "AttemptsUnavailable", message: messageOf(e) });
      }
    };
  const rows =
    (sql: string, params: ReadonlyArray<unknown>): TE.TaskEither<AttemptsError, ReadonlyArray<Attempt>> =>
    async () => {
      const r = await run(() => pool.query(sql, params as unknown[]))();
      if (E.isLeft(r)) return r;
      const out: Attempt[] = [];
      for (const raw of r.right.rows) {
        const d = decodeRow(raw);
        if (E.isLeft(d)) return d;
        out.push(d.right);
      }
      return E.right(out);
    };
  const exec = (sql: string, params: ReadonlyArray<unknown>) =>
    run(async () => {
      await pool.query(sql, params as unknown[]);
    });

  return {
    ensureSchema: () => exec(schemaSql, []),
    loadCheckpoint: (name) =>
      run(async () => {
        const r = await pool.query(
          "select position::text as p from payment_saga_checkpoint where name = $1",
          [name],
        );
        const p: unknown = r.rows[0]?.p;
        return typeof p === "string" ? BigInt(p) : null;
      }),
    saveCheckpoint: (name, position) =>
      exec(
        `insert into payment_saga_checkpoint (name, position) values ($1, $2)
         on conflict (name) do update set position = excluded.position
         where payment_saga_checkpoint.position < excluded.position`,
        [name, position.toString()],
      ),
    begin: (a) => async () => {
      // `do update` (a no-op write) so that `returning` yields the existing row too.
      const r = await rows(
        `insert into payment_attempts (order_id, sku_id, position, amount_cents, currency, state, started_at)
         values ($1, $2, $3, $4, $5, 'charging', $6)
         on conflict (order_id) do update set order_id = excluded.order_id
         returning *`,
        [a.orderId, a.skuId, a.position.toString(), a.amountCents, a.currency, a.startedAt],
      )();
      if (E.isLeft(r)) return r;
      const row = r.right[0];
      return row === undefined
        ? E.left({ _tag: "InvalidAttemptRow", message: "no row returned" })
        : E.right(row);
    },
    get: (orderId) => async () => {
      const r = await rows("select * from payment_attempts where order_id = $1", [orderId])();
      return E.isLeft(r) ? r : E.right(r.right[0] ?? null);
    },
    countCall: (orderId, call, lastError) =>
      exec(
        `update payment_attempts set ${call === "charge" ? "charge_attempts = charge_attempts + 1" : "status_queries = status_queries + 1"},
           last_error = coalesce($2, last_error), updated_at = now() where order_id = $1`,
        [orderId, lastError],
      ),
    noteError: (orderId, lastError) =>
      exec("update payment_attempts set last_error = $2, updated_at = now() where order_id = $1", [
        orderId,
        lastError,
      ]),
    decide: (orderId, state, detail) =>
      exec(
        `update payment_attempts set state = $2, payment_id = $3, reason = $4, settled_by = 'saga', updated_at = now()
         where order_id = $1 and state = 'charging'`,
        [orderId, state, detail.paymentId ?? null, detail.reason ?? null],
      ),
    markRecorded: (orderId) =>
      exec("update payment_attempts set recorded = true, updated_at = now() where order_id = $1", [orderId]),
    settle: (orderId, state, detail, by) =>
      // An unresolved event never overrides a final outcome (it may arrive after an operator settled it).
      exec(
        `update payment_attempts set state = $2, payment_id = coalesce($3, payment_id), reason = coalesce($4, reason),
           recorded = true, settled_by = case when state = $2 then settled_by else $5 end, updated_at = now()
         where order_id = $1 and not ($2 = 'unresolved' and state in ('succeeded', 'failed'))`,
        [orderId, state, detail.paymentId ?? null, detail.reason ?? null, by],
      ),
    settleFromLog: (settlements) =>
      exec(
        `update payment_attempts a set state = s.state, payment_id = coalesce(s.payment_id, a.payment_id),
           reason = coalesce(s.reason, a.reason), recorded = true,
           settled_by = case when a.state = s.state then a.settled_by else 'log' end, updated_at = now()
         from jsonb_to_recordset($1::jsonb) as s(order_id text, state text, payment_id text, reason text)
         where a.order_id = s.order_id and not (s.state = 'unresolved' and a.state in ('succeeded', 'failed'))`,
        [
          JSON.stringify(
            settlements.map((x) => ({
              order_id: x.orderId,
              state: x.state,
              payment_id: x.paymentId ?? null,
              reason: x.reason ?? null,
            })),
          ),
        ],
      ),
    listByState: (state) =>
      rows("select * from payment_attempts where state = $1 order by started_at, order_id", [state]),
  };
};
