/**
 * Preloaded into the processes `pnpm bench:rooms` measures (with --expose-gc): on SIGUSR2 it runs a
 * full garbage collection and prints the process's memory as one JSON line on stdout.
 */
const collect = (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  collect?.();
  collect?.();
  const memory = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({ probe: true, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external })}\n`,
  );
});
