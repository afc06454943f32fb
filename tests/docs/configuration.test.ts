import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../apps/server/src/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const variables = Object.keys(envSchema.shape).sort();

/** The first-column names of the table in the README's "Configuration" section. */
function readmeTable(): string[] {
  const section = read('README.md')
    .split(/^## /m)
    .find((part) => part.startsWith('Configuration'));
  const rows = (section ?? '').split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!)).sort();
}

describe('the documented configuration', () => {
  it('README lists exactly the variables of the environment schema', () => {
    expect(readmeTable()).toEqual(variables);
  });

  it('.env.example lists every variable of the environment schema', () => {
    const listed = read('.env.example')
      .split('\n')
      .flatMap((line) => line.match(/^([A-Z_]+)=/)?.[1] ?? [])
      .sort();
    expect(listed).toEqual(variables);
  });
});
