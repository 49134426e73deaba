/** The SKU fields `POST /v1/skus` takes (API.md). */
export interface SkuListing {
  readonly skuId: string;
  readonly name: string;
  readonly description: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly stock: number;
  readonly perUserLimit: number;
  readonly holdSeconds: number;
}

/**
 * List a SKU through the write API as an admin would (`POST /v1/skus`, keyed by the SKU so a retry is
 * the same listing), for the tools that drive a running deployment: `holdfast rehearse` and the benches.
 */
export const listSkuOverHttp = (writeBase: string, adminToken: string, sku: SkuListing): Promise<Response> =>
  fetch(`${writeBase}/v1/skus`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${adminToken}`,
      "Content-Type": "application/json",
      "Idempotency-Key": `list-${sku.skuId}`,
    },
    body: JSON.stringify(sku),
  });
