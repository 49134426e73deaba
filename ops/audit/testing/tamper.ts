import pg from "pg";
import { canonicalJson, type EventEnvelope, hashEvent } from "../../../event-schemas/index.ts";

/**
 * Tampering with a PostgreSQL event store behind its back, with SQL on the stored rows, as an attacker
 * with database access would (tests only). Every helper works on `event_store.events.data`, the
 * envelope's canonical text.
 */
export class Tamper {
  private constructor(
    private readonly client: pg.Client,
    private readonly streamId: string,
  ) {}

  static async connect(url: string, streamId: string): Promise<Tamper> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return new Tamper(client, streamId);
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  async envelopes(): Promise<EventEnvelope[]> {
    const r = await this.client.query<{ data: string }>(
      "select data from event_store.events where stream_id = $1 order by revision",
      [this.streamId],
    );
    return r.rows.map((row) => JSON.parse(row.data) as EventEnvelope);
  }

  async text(revision: number): Promise<string> {
    const r = await this.client.query<{ data: string }>(
      "select data from event_store.events where stream_id = $1 and revision = $2",
      [this.streamId, revision],
    );
    return r.rows[0]!.data;
  }

  async setText(revision: number, text: string): Promise<void> {
    await this.client.query(
      "update event_store.events set data = $3 where stream_id = $1 and revision = $2",
      [this.streamId, revision, text],
    );
  }

  /** Change one byte of the stored text, at the first occurrence of `from` (one character) after `after`. */
  async flipByte(revision: number, after: string, from: string, to: string): Promise<void> {
    const text = await this.text(revision);
    const at = text.indexOf(from, text.indexOf(after) + after.length);
    if (at < 0 || from.length !== 1 || to.length !== 1) throw new Error("flipByte: nothing to flip");
    await this.setText(revision, text.slice(0, at) + to + text.slice(at + 1));
  }

  /** Rewrite one envelope (re-hashing it so its own hash verifies) and store it. */
  async rewrite(revision: number, change: (e: EventEnvelope) => EventEnvelope): Promise<void> {
    const env = change(JSON.parse(await this.text(revision)) as EventEnvelope);
    const sealed = { ...env, hash: hashEvent(env.prevHash, env) };
    await this.setText(revision, canonicalJson(sealed));
  }

  /**
   * Rewrite one envelope and re-seal every later one so the whole chain verifies again (what only a
   * signed checkpoint held elsewhere can catch).
   */
  async rewriteAndReseal(revision: number, change: (e: EventEnvelope) => EventEnvelope): Promise<void> {
    const later = (await this.envelopes()).filter((e) => e.revision >= revision);
    let prevHash = later[0]!.prevHash;
    for (const e of later) {
      const base = e.revision === revision ? change(e) : e;
      const env = { ...base, prevHash } as EventEnvelope;
      const sealed = { ...env, hash: hashEvent(prevHash, env) } as EventEnvelope;
      await this.setText(e.revision, canonicalJson(sealed));
      prevHash = sealed.hash;
    }
    await this.client.query("update event_store.streams set last_hash = $2 where stream_id = $1", [
      this.streamId,
      prevHash,
    ]);
  }

  async deleteRow(revision: number): Promise<void> {
    await this.client.query("delete from event_store.events where stream_id = $1 and revision = $2", [
      this.streamId,
      revision,
    ]);
  }

  /** Swap the stored events of two revisions (each row keeps its revision column and position). */
  async swap(a: number, b: number): Promise<void> {
    const [ta, tb] = [await this.text(a), await this.text(b)];
    await this.setText(a, tb);
    await this.setText(b, ta);
  }
}
