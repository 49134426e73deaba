import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { mergePaths, mergeSchemas, openApiDocument } from "./openapi.ts";
import { PROBLEM_TYPES } from "./openapi-schemas.ts";
import { API_MD_ROUTES } from "./testing/api-routes.ts";

/**
 * Issue 12 item 6, the document itself: valid OpenAPI 3.1 (a real validator), every API.md route, and
 * what API.md says of every route in it. Real answers are checked against it in `openapi.int.test.ts`.
 */
type Json = Record<string, unknown>;
const doc = openApiDocument() as unknown as { paths: Record<string, Record<string, Json>>; components: Json };
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({ path, method, op })),
);
const responsesOf = (op: Json) => Object.entries(op.responses as Record<string, Json>);
const headerNames = (r: Json) => Object.keys((r.headers as Json | undefined) ?? {});

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const result = await new Validator().validate(JSON.parse(JSON.stringify(doc)) as never);
    expect(result, JSON.stringify(result.errors)).toMatchObject({ valid: true });
  });

  it("holds every API.md route, and the read side's Reservation (no shallow-merge loss)", () => {
    for (const route of API_MD_ROUTES) {
      const [method, path] = route.split(" ") as [string, string];
      expect(doc.paths[path]?.[method.toLowerCase()], route).toBeDefined();
    }
    const schemas = doc.components.schemas as Record<string, Json>;
    expect(schemas.Reservation?.required).toEqual(expect.arrayContaining(["userId", "status"]));
    expect(schemas.Reservation?.required).not.toContain("revision");
    expect(schemas.ReservationHeld?.required).toContain("revision");
  });

  it("says what API.md says of every route", () => {
    for (const { path, method, op } of operations) {
      const params = (op.parameters as Json[]).map((p) => p.$ref);
      expect(params, `${method} ${path} accepts traceparent`).toContain(
        "#/components/parameters/Traceparent",
      );
      for (const [status, r] of responsesOf(op)) {
        expect(headerNames(r), `${method} ${path} ${status} echoes traceparent`).toContain("traceparent");
        if (status === "401") expect(headerNames(r), `${method} ${path} 401`).toContain("WWW-Authenticate");
        if (status === "429") expect(headerNames(r), `${method} ${path} 429`).toContain("Retry-After");
      }
      if (method === "post" || method === "delete") {
        const unavailable = (op.responses as Record<string, Json>)["503"];
        expect(unavailable, `${method} ${path} documents 503`).toBeDefined();
        expect(headerNames(unavailable as Json)).toContain("Retry-After");
      }
    }
    const reserve = doc.paths["/v1/skus/{skuId}/reservations"]?.post as Json;
    expect(headerNames((reserve.responses as Record<string, Json>)["409"] as Json)).toContain("Retry-After");
    const problem = (doc.components.schemas as Record<string, Json>).Problem as Json;
    expect((problem.properties as Record<string, Json>).revision).toBeDefined();
    expect(((problem.properties as Record<string, Json>).type as Json).enum).toEqual(
      PROBLEM_TYPES.map((t) => `/problems/${t}`),
    );
  });

  it("refuses to merge a route or a schema described twice", () => {
    expect(() => mergePaths({ "/a": { get: {} } }, { "/a": { get: {} } })).toThrow(/described twice/);
    expect(mergePaths({ "/a": { get: { x: 1 } } }, { "/a": { delete: { y: 1 } } })).toEqual({
      "/a": { get: { x: 1 }, delete: { y: 1 } },
    });
    expect(() => mergeSchemas({ R: { type: "object" } }, { R: { type: "string" } })).toThrow(/defined twice/);
  });
});
