import type pg from "pg";

/**
 * The event store's schema, as numbered migrations. Each runs once, in its own transaction, recorded in
 * `event_store.migrations`; `migrate` holds a session advisory lock meanwhile, so two processes starting
 * at once apply each migration exactly once (the second waits, then finds nothing left to do).
 * Never edit a migration that has shipped: add the next one.
 */

/** Advisory-lock class ids (the two-int form), distinct from any other lock holdfast takes. */
export const MIGRATION_LOCK: readonly [number, number] = [1751515136, 0];
export const STREAM_LOCK_CLASS = 1751515137;
/** Channel the append notifies on commit. */
export const NOTIFY_CHANNEL = "event_store_appended";
/**
 * Global positions are `xid * 2^16 + n`: the appending transaction's id (`pg_current_xact_id()`) and the
 * event's ordinal within that transaction. Ordering by position is ordering by (xid, ordinal); see
 * `feed.ts` for why that order can be published without gaps.
 */
export const POSITION_SHIFT = 65_536;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "events, streams and the append function",
    sql: `
create table event_store.events (
  position  bigint primary key,
  stream_id text   not null,
  revision  bigint not null,
  event_id  uuid   not null,
  type      text   not null,
  -- The envelope's RFC 8785 text exactly as sealed. Text, not jsonb: jsonb reorders keys and would
  -- lose the bytes the hash covers.
  data      text   not null,
  constraint events_stream_revision unique (stream_id, revision)
);

-- One row per stream: its tip (for the expected-revision and chain-link checks) and the stream list.
create table event_store.streams (
  stream_id     text   primary key,
  revision      bigint not null,
  last_hash     text   not null,
  last_position bigint not null
);

-- One call = one round trip = one transaction for a whole batch. Conflicts are returned, not raised:
-- the checks run before the transaction takes an xid (the advisory lock and the read do not assign one),
-- so a refused append never holds back the feed horizon (snapshot xmin) of other writers' events.
create function event_store.append(
  p_stream text,
  p_expected_kind text,
  p_expected bigint,
  p_first_revision bigint,
  p_first_prev_hash text,
  p_last_hash text,
  p_event_ids uuid[],
  p_types text[],
  p_data text[]
) returns table (o_status text, o_actual bigint, o_position bigint)
language plpgsql volatile as $fn$
declare
  v_tip bigint;
  v_tip_hash text;
  v_xid bigint;
  v_base bigint;
  v_n bigint := cardinality(p_data);
begin
  -- Serialise appends per stream; in READ COMMITTED the next statement then sees the committed tip.
  perform pg_advisory_xact_lock(${STREAM_LOCK_CLASS}, hashtext(p_stream));
  select s.revision, s.last_hash into v_tip, v_tip_hash from event_store.streams s where s.stream_id = p_stream;
  if (p_expected_kind = 'exact' and v_tip is distinct from p_expected)
     or (p_expected_kind = 'no-stream' and v_tip is not null)
     or (p_expected_kind = 'any' and p_first_revision <> coalesce(v_tip + 1, 0)) then
    return query select 'conflict'::text, v_tip, null::bigint;
    return;
  end if;
  if p_first_prev_hash <> coalesce(v_tip_hash, repeat('0', 64)) then
    return query select 'broken-link'::text, v_tip, null::bigint;
    return;
  end if;
  v_xid := pg_current_xact_id()::text::bigint;
  -- Usually the transaction's first append (base = xid * 2^16); a caller that appends twice in one
  -- transaction continues after its own last ordinal.
  select coalesce(max(e.position) + 1, v_xid * ${POSITION_SHIFT}) into v_base
    from event_store.events e
    where e.position >= v_xid * ${POSITION_SHIFT} and e.position < (v_xid + 1) * ${POSITION_SHIFT};
  if v_base + v_n > (v_xid + 1) * ${POSITION_SHIFT} then
    raise exception 'more than % events in one transaction', ${POSITION_SHIFT};
  end if;
  insert into event_store.events (position, stream_id, revision, event_id, type, data)
    select v_base + u.i - 1, p_stream, p_first_revision + u.i - 1, u.id, u.ty, u.d
    from unnest(p_event_ids, p_types, p_data) with ordinality as u(id, ty, d, i);
  insert into event_store.streams as s (stream_id, revision, last_hash, last_position)
    values (p_stream, p_first_revision + v_n - 1, p_last_hash, v_base + v_n - 1)
    on conflict (stream_id) do update
      set revision = excluded.revision, last_hash = excluded.last_hash, last_position = excluded.last_position;
  -- Delivered at commit, never for a rolled-back append; identical payloads in one transaction fold.
  perform pg_notify('${NOTIFY_CHANNEL}', '');
  return query select 'ok'::text, p_first_revision + v_n - 1, v_base + v_n - 1;
end
$fn$;

-- Reads are functions so their plans can be pinned: a keyset page must walk the index in order. Left to
-- itself (e.g. before the first ANALYZE) the planner picks a bitmap scan of everything after the cursor
-- plus a sort, which makes every page cost the whole rest of the log.
-- The feed: see feed.ts for why only positions below the snapshot xmin are published. STABLE, so the
-- query runs in the caller's snapshot, the same one pg_current_snapshot() returns.
create function event_store.read_all(p_after bigint, p_limit integer, p_prefix text)
returns table (o_position bigint, o_stream_id text, o_data text)
language sql stable
set enable_bitmapscan = off set enable_seqscan = off set enable_sort = off
as $fn$
  select e.position, e.stream_id, e.data from event_store.events e
  where e.position > p_after
    and e.position < pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${POSITION_SHIFT}
    and (p_prefix is null or starts_with(e.stream_id, p_prefix))
  order by e.position
  limit p_limit
$fn$;

create function event_store.read_stream(p_stream text, p_from bigint, p_backward boolean, p_limit bigint)
returns table (o_position bigint, o_stream_id text, o_data text)
language sql stable
set enable_bitmapscan = off set enable_seqscan = off set enable_sort = off
as $fn$
  (select e.position, e.stream_id, e.data from event_store.events e
   where not p_backward and e.stream_id = p_stream and e.revision >= p_from
   order by e.revision limit p_limit)
  union all
  (select e.position, e.stream_id, e.data from event_store.events e
   where p_backward and e.stream_id = p_stream and e.revision <= p_from
   order by e.revision desc limit p_limit)
$fn$;
`,
  },
];

/** Apply every migration not yet applied. Safe to run from several processes at once. */
export const migrate = async (pool: pg.Pool): Promise<ReadonlyArray<number>> => {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query("select pg_advisory_lock($1, $2)", [...MIGRATION_LOCK]);
    try {
      await client.query("create schema if not exists event_store");
      await client.query(
        `create table if not exists event_store.migrations (
           version integer primary key, name text not null, applied_at timestamptz not null default now())`,
      );
      const done = await client.query<{ version: number }>("select version from event_store.migrations");
      const have = new Set(done.rows.map((r) => r.version));
      for (const m of migrations) {
        if (have.has(m.version)) continue;
        await client.query("begin");
        try {
          await client.query(m.sql);
          await client.query("insert into event_store.migrations (version, name) values ($1, $2)", [
            m.version,
            m.name,
          ]);
          await client.query("commit");
        } catch (e) {
          await client.query("rollback");
          throw e;
        }
        applied.push(m.version);
      }
    } finally {
      await client.query("select pg_advisory_unlock($1, $2)", [...MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
  return applied;
};
