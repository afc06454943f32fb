import type { TestProject } from 'vitest/node';
import { reachable, type Services, TEST_DATABASE_URL, TEST_REDIS_URL } from './services.ts';

/**
 * Finds the real PostgreSQL and Redis the suites run against. Without one, its suites are skipped
 * with a loud notice; with CI=true a missing service fails the run instead.
 */
export default async function setup(project: TestProject) {
  const services: Services = {
    postgres: await reachable(TEST_DATABASE_URL, 5432),
    redis: await reachable(TEST_REDIS_URL, 6379),
  };
  const missing = [
    !services.postgres && `PostgreSQL at ${TEST_DATABASE_URL} (TEST_DATABASE_URL)`,
    !services.redis && `Redis at ${TEST_REDIS_URL} (TEST_REDIS_URL)`,
  ].filter(Boolean);
  if (missing.length > 0) {
    const lines = missing.map((m) => `  - ${m}`).join('\n');
    if (process.env.CI === 'true' || process.env.CI === '1') {
      throw new Error(`CI=true and these services are not reachable:\n${lines}`);
    }
    const bar = '!'.repeat(78);
    console.warn(
      `\n${bar}\n  SKIPPING the suites that need:\n${lines}\n  Start them (see README.md) to run every test.\n${bar}\n`,
    );
  }
  project.provide('services', services);
}
