import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const server = process.env.DPP_SERVER_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: {
      '/api': { target: server, changeOrigin: true },
      '/ws': { target: server, ws: true, changeOrigin: true },
      '/healthz': server,
    },
  },
  build: { outDir: 'dist', sourcemap: true },
});
