// Vitest configuration: Node tests of both backends plus the headless-Chromium suite.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // SwiftShader/lavapipe are slow and share the machine's 2 cores: run files one by one.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // The JSON report is what .ci/run reads its `N passed, N failed` line from.
    reporters: ['default', ['json', { outputFile: 'test/.artifacts/vitest.json' }]],
  },
});
