/// <reference types="vitest/config" />
// The dashboard build (`npx vite build --config dashboard/vite.config.ts`) and its component tests
// (`npx vitest run --config dashboard/vite.config.ts`). @vitejs/plugin-react is not installable next to
// our Vite 8, and Vite 8 transforms TSX itself through oxc: we only ask for the automatic JSX runtime.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    // Served by the gateway under its own strict CSP: one script file, one style file, no inline code.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  test: {
    root,
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
