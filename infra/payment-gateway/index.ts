export * from "./http.ts";
export * from "./types.ts";
