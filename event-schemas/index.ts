export * from "./canonical-json.ts";
export * from "./envelope.ts";
export * from "./hash-chain.ts";
export * from "./primitives.ts";
export * from "./sku/commands.ts";
export * from "./sku/events.ts";
export * from "./sku/upcasters.ts";
export * from "./outcome.ts";
