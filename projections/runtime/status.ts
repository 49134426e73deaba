import type { Redis } from "ioredis";

/** What `holdfast projections status` and `/health/ready` show about one projector. */
export interface ProjectorStatus {
  readonly name: string;
  readonly state: "starting" | "running" | "retrying" | "parked" | "stopped";
  readonly generation: string | null;
  /** Global position of the last applied event (decimal string: positions are bigints). */
  readonly checkpoint: string | null;
  readonly head: string | null;
  /** Events after the checkpoint, counted up to 10,000. */
  readonly lagEvents: number | null;
  readonly updatedAt: string;
  readonly lastError: string | null;
  /** Set when parked: the event that kept failing. It is not skipped; fix and restart the projector. */
  readonly parkedAt: {
    readonly position: string;
    readonly eventId: string;
    readonly streamId: string;
    readonly revision: number;
    readonly type: string;
  } | null;
}

/** Where projector statuses are published, so other processes (the CLI) can see them. */
export interface StatusSink {
  publish(status: ProjectorStatus): Promise<void>;
  readAll(): Promise<ReadonlyArray<ProjectorStatus>>;
}

/** Statuses in one Redis hash `{ns}projectors` (field = projector name, value = JSON). */
export const redisStatusSink = (redis: Redis, namespace: string): StatusSink => {
  const key = `${namespace}projectors`;
  return {
    publish: async (s) => {
      await redis.hset(key, s.name, JSON.stringify(s));
    },
    readAll: async () => {
      const all = await redis.hgetall(key);
      return Object.values(all).flatMap((v) => {
        try {
          return [JSON.parse(v) as ProjectorStatus];
        } catch {
          return [];
        }
      });
    },
  };
};

export const memoryStatusSink = (): StatusSink & { readonly current: Map<string, ProjectorStatus> } => {
  const current = new Map<string, ProjectorStatus>();
  return {
    current,
    publish: async (s) => {
      current.set(s.name, s);
    },
    readAll: async () => [...current.values()],
  };
};
