import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // CI shares two cores with real engines and a browser; a timing-bound test gets one more try there.
    retry: process.env.CI ? 1 : 0,
    reporters: ['default'],
  },
})
