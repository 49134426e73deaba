export * from "./hash.ts";
export * from "./tree.ts";
export * from "./verify.ts";
export * from "./tree-head.ts";
export * from "./cosignature.ts";
export * from "./compact-range.ts";
