import type { Worker } from "node:cluster";
import type { Server as HttpServer } from "node:http";
import { createServer, Server, Socket } from "node:net";

/**
 * `holdfast serve --workers N`: how the HTTP workers share the one port, so that a busy worker still
 * takes in a burst of new connections.
 *
 * Since libuv 1.45 (Node 20) a listening socket accepts ONE connection per event-loop turn (libuv#3696),
 * and node:cluster's round-robin hands a worker one connection at a time, waiting for its
 * acknowledgement. Either way a write API under load, whose turns last tens of milliseconds, took in
 * 15–20 new connections per second, and a burst of 2,000 sat in the kernel's queues (listen overflows,
 * SYN cookies) until the client gave up. So each worker watches the shared listening socket through
 * `LISTENER_COPIES` descriptors of its own (copies passed over IPC, as node:cluster's SCHED_NONE passes
 * one), and its event loop takes up to that many connections per turn; the kernel's one accept queue is
 * shared by all. The primary listens only to make the socket and to hand copies out: it closes its own
 * as soon as a worker holds them, and gets one back from a worker that holds them when a restarted
 * worker needs its copies. See ops/CAPACITY.md, "Accepting 2,000 connections".
 *
 * 512 copies: with 64, a burst of 2,000 new connections took ~31 turns to take in, each one long while
 * the wave is admitted, and the last accepted waited longest (max 2.6–5.6 s at 2,000 connections); with
 * 512 the max was 2.5–2.7 s in four rows of five (3.1 s in the fifth, 1.4 s in a sweep), and 2,048 were
 * no better (3.0–3.1 s). An idle queue costs nothing: the copies are polled readable only while
 * connections wait. See ops/CAPACITY.md, "This round (… fourth session …)".
 */
export const LISTENER_COPIES = 512;

/**
 * The listen backlog asked for: the kernel caps it at `net.core.somaxconn` (4,096 here), against Node's
 * default of 511. Node listens again, with 511, on each copy a process receives, which then applies to
 * the shared socket: `deepenBacklog` sets it back.
 */
export const LISTEN_BACKLOG = 65_535;

const LISTENER = "holdfast:listener";
const COPY_WANTED = "holdfast:listener-wanted";
const CONNECTION = "holdfast:connection";
const HTTP_READY = "holdfast:http-ready";

/** The message a worker sends once its HTTP server can take connections. */
export const isHttpReady = (message: unknown): boolean => message === HTTP_READY;

const sendListener = (w: Worker, listener: Server): Promise<void> =>
  new Promise((resolve, reject) =>
    w.send(LISTENER, listener, (e: Error | null) => (e === null ? resolve() : reject(e))),
  );

/**
 * Node listens again on a listening socket it receives over IPC, with its default backlog of 511, and
 * `listen(2)` on a listening socket sets the one kernel queue's length: without this, each copy a worker
 * receives shrinks the shared socket's queue back to 511, and a burst of 2,000 connections overflowed it
 * (121–306 overflows per 2,000-connection row of `bench:reserve`; each such connection waits for the
 * client to send again). Listening again with `LISTEN_BACKLOG` (capped by `net.core.somaxconn`)
 * restores the length asked for. Node has no public call for it, so this uses the handle's own
 * `listen`, and does nothing when a Node version lacks it.
 */
const deepenBacklog = (listener: Server): void => {
  const handle = (listener as unknown as { _handle?: { listen?: (backlog: number) => number } })._handle;
  if (typeof handle?.listen === "function") handle.listen(LISTEN_BACKLOG);
};

/**
 * In the primary: give ready HTTP workers their copies of the listening socket on `opts`. `give(w)`
 * obtains a copy (one back from a worker that holds them, else a fresh listen), sends it to `w`
 * `LISTENER_COPIES` times and closes the primary's own; calls are serialized. A connection the primary
 * accepts meanwhile (its copy is watched while it is open) is handed to `w` as it is, unread.
 */
export const shareListener = (opts: { readonly port: number; readonly hostname: string }) => {
  const holders = new Set<Worker>();
  const listenFresh = (): Promise<Server> =>
    new Promise((resolve, reject) => {
      const s = createServer({ pauseOnConnect: true });
      s.once("error", reject);
      s.listen({ port: opts.port, host: opts.hostname, backlog: LISTEN_BACKLOG }, () => resolve(s));
    });
  // One copy back from a worker that holds them; rejects if it exits first.
  const copyFrom = (holder: Worker): Promise<Server> =>
    new Promise((resolve, reject) => {
      const got = (message: unknown, listener: unknown) => {
        if (message !== LISTENER || !(listener instanceof Server)) return;
        holder.off("message", got).off("exit", gone);
        // Node made this server (listening, reading each connection it accepts at once): accept paused,
        // as a fresh listen does, before the event loop polls it. A connection read here before its
        // hand-over (which waits its turn behind the copies being sent) would reach the worker without
        // the request bytes the primary had already read, and never be answered.
        (listener as Server & { pauseOnConnect: boolean }).pauseOnConnect = true;
        deepenBacklog(listener);
        resolve(listener);
      };
      const gone = () => {
        holder.off("message", got);
        reject(new Error("the worker holding the socket exited"));
      };
      holder.on("message", got).once("exit", gone);
      holder.send(COPY_WANTED);
    });
  const obtain = async (): Promise<Server> => {
    for (;;) {
      const [holder] = holders;
      if (holder === undefined) return listenFresh();
      const copy = await copyFrom(holder).catch(() => null);
      if (copy !== null) return copy;
      holders.delete(holder);
    }
  };
  let queue: Promise<unknown> = Promise.resolve();
  const giveNow = async (w: Worker) => {
    const own = await obtain();
    const handOver = (socket: Socket) => {
      // Synchronously after the accept, before the event loop could read a byte of the request.
      socket.pause();
      w.send(CONNECTION, socket);
    };
    own.on("connection", handOver);
    try {
      for (let i = 0; i < LISTENER_COPIES; i++) await sendListener(w, own);
      holders.add(w);
    } catch {
      // The worker exited meanwhile: its replacement is given its own copies when it is ready.
    } finally {
      own.close();
    }
  };
  return {
    give: (w: Worker): Promise<void> => {
      const given = queue.then(() => giveNow(w));
      queue = given.catch(() => undefined);
      return given;
    },
    forget: (w: Worker): void => {
      holders.delete(w);
    },
  };
};

/**
 * In an HTTP worker: serve on `server` (which does not listen itself) the connections accepted on the
 * copies of the listening socket the primary sends, hand a copy back when asked, and tell the primary
 * this worker is ready. `close()` stops accepting and resolves once every connection taken has closed.
 */
export const serveSharedListener = (server: HttpServer): { readonly close: () => Promise<void> } => {
  const copies: Server[] = [];
  const onMessage = (message: unknown, listener: unknown) => {
    if (message === COPY_WANTED && copies[0] !== undefined) process.send?.(LISTENER, copies[0]);
    if (message === CONNECTION && listener instanceof Socket) {
      server.emit("connection", listener);
      listener.resume();
    }
    if (message !== LISTENER || !(listener instanceof Server)) return;
    copies.push(listener);
    deepenBacklog(listener);
    listener.on("connection", (socket: Socket) => server.emit("connection", socket));
  };
  process.on("message", onMessage);
  // node:http starts tracking its connections (the headers and request timeouts, closeIdleConnections)
  // on its own 'listening' event, which a server that never listens does not get.
  server.emit("listening");
  process.send?.(HTTP_READY);
  return {
    close: async () => {
      process.off("message", onMessage);
      await Promise.all(copies.map((c) => new Promise((resolve) => c.close(resolve))));
    },
  };
};
