/** What the rehearsal saw of holdfast once a second. */
export interface Sample {
  readonly atMs: number;
  readonly available: number | null;
  readonly held: number | null;
  readonly sold: number | null;
  readonly queueLag: number | null;
  readonly oldestAgeSeconds: number | null;
}

/** The value of one series of a Prometheus text exposition (`name{labels} value`), or null. */
export const metricValue = (text: string, name: string, labels: Record<string, string>): number | null => {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.indexOf("}");
    const inside = line.slice(name.length + 1, close);
    if (want.every((w) => inside.includes(w))) return Number(line.slice(close + 1).trim());
  }
  return null;
};

const get = async (url: string): Promise<Response | null> => {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(900) });
  } catch {
    return null;
  }
};

/** Sample the SKU's availability (read API) and command-queue gauges (handler /metrics) every second. */
export const startSampler = (deps: {
  readonly readBase: string;
  readonly handlerMetrics: string;
  readonly skuId: string;
  readonly t0: number;
}) => {
  const samples: Sample[] = [];
  let stopped = false;
  const once = async () => {
    const at = Date.now() - deps.t0;
    const [a, m] = await Promise.all([
      get(`${deps.readBase}/v1/products/${deps.skuId}/availability`),
      get(deps.handlerMetrics),
    ]);
    const av =
      a !== null && a.status === 200
        ? ((await a.json().catch(() => null)) as { available: number; held: number; sold: number } | null)
        : null;
    const text = m !== null && m.status === 200 ? await m.text().catch(() => "") : "";
    samples.push({
      atMs: at,
      available: av?.available ?? null,
      held: av?.held ?? null,
      sold: av?.sold ?? null,
      queueLag: metricValue(text, "holdfast_command_queue_lag", { sku: deps.skuId }),
      oldestAgeSeconds: metricValue(text, "holdfast_command_queue_oldest_age_seconds", { sku: deps.skuId }),
    });
  };
  const loop = (async () => {
    while (!stopped) {
      const next = Date.now() + 1000;
      await once();
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
};
