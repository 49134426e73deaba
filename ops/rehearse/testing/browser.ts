import puppeteer from "puppeteer-core";
import { messageOf } from "../../../infra/errors/message-of.ts";

/** What a headless Chromium saw of a page: console errors, uncaught exceptions, and a screenshot. */
export interface PageView {
  readonly errors: ReadonlyArray<string>;
  readonly screenshot: Uint8Array;
  /** Ids of the chart containers that drew a uPlot canvas. */
  readonly renderedCharts: ReadonlyArray<string>;
  /** Non-blank pixels of each chart canvas (a drawn chart has many). */
  readonly drawnPixels: Record<string, number>;
  readonly title: string;
}

/**
 * Open a file in headless Chromium (Debian's `chromium`, via puppeteer-core) with the network OFF, and
 * collect what a person would see: any console error or exception, and whether the charts drew.
 */
export const viewInChromium = async (chromium: string, file: string): Promise<PageView> => {
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`exception: ${messageOf(e)}`));
    page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
    // No network at view time: anything but the file itself is refused (and reported above).
    await page.setRequestInterception(true);
    page.on("request", (r) => (r.url().startsWith("file:") ? r.continue() : r.abort()));
    await page.setViewport({ width: 1400, height: 1800 });
    await page.goto(`file://${file}`, { waitUntil: "load" });
    const renderedCharts = await page.$$eval(".chart[data-rendered=true]", (els) => els.map((e) => e.id));
    const drawnPixels = await page.$$eval(".chart canvas", (canvases) => {
      const out: Record<string, number> = {};
      // The page's own DOM types (this project compiles without lib.dom).
      type Canvas = {
        width: number;
        height: number;
        closest(sel: string): { id: string } | null;
        getContext(
          k: "2d",
        ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
      };
      for (const c of canvases as unknown as Canvas[]) {
        const ctx = c.getContext("2d");
        if (ctx === null) continue;
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if ((d[i] ?? 0) > 0) n++;
        const id = c.closest(".chart")?.id ?? "?";
        out[id] = (out[id] ?? 0) + n;
      }
      return out;
    });
    const screenshot = await page.screenshot({ fullPage: true });
    return { errors, screenshot, renderedCharts, drawnPixels, title: await page.title() };
  } finally {
    await browser.close();
  }
};
