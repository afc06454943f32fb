import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv } from 'vite';

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export default defineConfig(({ mode }) => {
  // Only the public application id is read from the environment (or the repo's .env); it is not a
  // secret. Without it the activity reads the id from the discordsays.com host it is served from.
  const env = { ...loadEnv(mode, '../..', ''), ...process.env };
  const server = env.DPP_SERVER_URL ?? 'http://127.0.0.1:3000';
  return {
    plugins: [react()],
    define: { __DISCORD_CLIENT_ID__: JSON.stringify(env.DISCORD_CLIENT_ID ?? '') },
    server: {
      port: 5173,
      proxy: {
        '/api': { target: server, changeOrigin: true },
        '/ws': { target: server, ws: true, changeOrigin: true },
        '/healthz': server,
        '/admin': { target: server, bypass: (req) => (req.url === '/admin' ? '/admin.html' : undefined) },
      },
    },
    build: {
      outDir: 'dist',
      sourcemap: true,
      chunkSizeWarningLimit: 1200,
      // The admin dashboard is a page of its own: nothing of it (or of its charts) is in the activity's bundle.
      rolldownOptions: { input: { main: page('./index.html'), admin: page('./admin.html') } },
    },
  };
});
