import { execFileSync } from 'node:child_process';

/** Whether a command-line tool runs here (`command ...args` exits 0). */
export function hasTool(command: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The loud notice a suite prints when it skips for a missing tool. */
export function warnSkipping(what: string, why: string): void {
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n  SKIPPING ${what}: ${why}\n${bar}\n`);
}
