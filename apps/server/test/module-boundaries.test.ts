import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');

/** Every source file of the server, by its path under src/. */
function sourceFiles(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
}

/** The files a source file imports (static, dynamic and type-only), as paths under src/. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(path.join(SRC, file), 'utf8'), true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => path.relative(SRC, path.resolve(SRC, path.dirname(file), specifier)));
}

const moduleOf = (file: string) => (file.includes(path.sep) ? file.split(path.sep)[0]! : '.');

/** Which module imports which, one edge per pair of files. */
const edges = sourceFiles().flatMap((file) => importsOf(file).map((target) => ({ file, target })));

describe('the server’s module boundaries (read from the import graph)', () => {
  it('sees the graph (the media port is imported by the library, the Plex source and the streams)', () => {
    const importers = new Set(edges.filter((e) => moduleOf(e.target) === 'media').map((e) => moduleOf(e.file)));
    expect([...importers]).toEqual(expect.arrayContaining(['library', 'plex', 'streams']));
  });

  it('keeps library/ and plex/ apart: each depends on the media port, never on the other', () => {
    const crossing = edges.filter(
      ({ file, target }) =>
        (moduleOf(file) === 'library' && moduleOf(target) === 'plex') ||
        (moduleOf(file) === 'plex' && moduleOf(target) === 'library'),
    );
    expect(crossing).toEqual([]);
  });

  it('keeps the media port free of any source: media/ imports neither library/ nor plex/', () => {
    const leaks = edges.filter(
      ({ file, target }) => moduleOf(file) === 'media' && ['library', 'plex'].includes(moduleOf(target)),
    );
    expect(leaks).toEqual([]);
  });

  it('lets only the app’s composition (app.ts) know about Plex: sources translate its errors', () => {
    const plexUsers = edges.filter(({ file, target }) => moduleOf(target) === 'plex' && moduleOf(file) !== 'plex');
    expect(plexUsers.map((e) => e.file)).toEqual(plexUsers.map(() => 'app.ts'));
    expect(plexUsers.length).toBeGreaterThan(0);
  });
});
