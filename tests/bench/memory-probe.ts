/**
 * Preloaded into the processes `pnpm bench:rooms` and `pnpm bench:soak` measure: on SIGUSR2 it prints
 * the process's memory as one JSON line on stdout, after a full garbage collection when the process
 * runs with --expose-gc (the soak runs without, so that no forced pause lands in its latencies).
 */
const collect = (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  collect?.();
  collect?.();
  const memory = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({ probe: true, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, arrayBuffers: memory.arrayBuffers })}\n`,
  );
});
