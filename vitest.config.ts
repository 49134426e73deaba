import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure, in-memory, fast) and `int` (*.int.test.ts, against real servers started
// by `holdfast stack up`). Integration files run one at a time so they do not fight over 2 cores.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**", ".holdfast/**"],
        },
      },
      {
        test: {
          name: "int",
          include: ["**/*.int.test.ts"],
          exclude: ["node_modules/**", ".holdfast/**"],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
