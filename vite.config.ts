import { defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/** The dev server injects styles and opens a websocket for hot reload, which index.html's
 *  Content-Security-Policy forbids: drop the tag while serving; the built site keeps it. */
function devWithoutCsp(): Plugin {
  return {
    name: 'dev-without-csp',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\s*/, ''),
  };
}

// base './' makes every asset URL relative, so the built page works from any sub-path.
export default defineConfig({
  base: './',
  plugins: [svelte(), devWithoutCsp()],
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
