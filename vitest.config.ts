/**
 * Two test projects: `unit` (pure, fast, no privileges) and `kernel` (real kernel objects,
 * every test inside its own throwaway sandbox namespace; requires root, must not skip in CI).
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [react()],
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['shared/**/*.test.ts', 'server/**/*.test.ts', 'client/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts'],
          exclude: ['**/*.kernel.test.ts', '**/node_modules/**'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'kernel',
          include: ['server/**/*.kernel.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Kernel tests share two cores with everything else; run files one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
