import pg from "pg";
import type { Waker } from "../subscription.ts";
import { NOTIFY_CHANNEL } from "./migrations.ts";

/**
 * One dedicated connection LISTENing for appends, shared by every subscription of a store. It only wakes
 * readers early: when it is down, subscriptions keep polling, and it reconnects with backoff.
 */
export const startListener = (connectionString: string, waker: Waker) => {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;
  let backoff = 100;

  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString, application_name: "holdfast-event-store-listener" });
    let gone = false;
    const lost = () => {
      if (gone) return;
      gone = true;
      reconnect(c);
    };
    c.on("notification", () => waker.wake());
    c.on("error", lost);
    c.on("end", lost);
    try {
      await c.connect();
      await c.query(`listen ${NOTIFY_CHANNEL}`);
      if (stopped) {
        await c.end().catch(() => undefined);
        return;
      }
      client = c;
      backoff = 100;
      // Anything appended while we were not listening: let readers look.
      waker.wake();
    } catch {
      lost();
    }
  };

  const reconnect = (c: pg.Client) => {
    if (client === c) client = null;
    c.end().catch(() => undefined);
    if (stopped || retry !== null) return;
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, backoff);
    backoff = Math.min(backoff * 2, 5_000);
  };

  void connect();
  return {
    stop: async () => {
      stopped = true;
      if (retry !== null) clearTimeout(retry);
      const c = client;
      client = null;
      if (c !== null) await c.end().catch(() => undefined);
    },
  };
};
