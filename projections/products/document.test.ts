import { describe, expect, it } from "vitest";
import { listed, paid, placed, saleClosed } from "../../event-schemas/testing/sku-events.ts";
import { evolveProduct } from "./document.ts";

const r = "00000000-0000-4000-8000-000000000001";
const o = "00000000-0000-4000-8000-000000000002";

describe("product document", () => {
  it("is in stock while units are available, not once they are all held or sold, nor when closed", () => {
    let d = evolveProduct(null, listed("t", { stock: 2 }), 0);
    expect(d).toMatchObject({ inStock: true, total: 2, revision: 0 });
    d = evolveProduct(d, placed(r, "u", 2), 1);
    expect(d).toMatchObject({ inStock: false, held: 2, revision: 1 });
    d = evolveProduct(d, paid(o, r, 2), 2);
    expect(d).toMatchObject({ inStock: false, held: 0, sold: 2 });
    const open = evolveProduct(null, listed("t", { stock: 5 }), 0);
    expect(evolveProduct(open, saleClosed(), 1)).toMatchObject({ inStock: false, closed: true });
  });
  it("ignores events before the listing", () => {
    expect(evolveProduct(null, placed(r, "u", 1), 3)).toBeNull();
  });
});
