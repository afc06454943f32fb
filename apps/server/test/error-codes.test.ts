import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { loggerOptions } from '../src/lib/logger.ts';

interface LogLine {
  level: number;
  msg: string;
  req?: { url: string };
  err?: { stack?: string };
  code?: string;
}

/** The real app, logging through the real logger options into memory. */
describe('client errors and what the logs keep of them', () => {
  let app: Awaited<ReturnType<typeof buildApp>>;
  const lines: LogLine[] = [];

  beforeAll(async () => {
    const config = loadConfig({
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-')),
      DATABASE_URL: 'memory://',
      LOG_LEVEL: 'info',
    });
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = { ...(loggerOptions(config) as object), stream };
    app = await buildApp({ config, logger, activityRoot: '/nonexistent' });
  });
  afterAll(() => app.close());

  it.each([
    [{ 'content-type': 'application/json' }, '{"name": ', 400, 'bad_request'],
    [{ 'content-type': 'text/csv' }, 'name,Ada', 415, 'unsupported_media_type'],
  ])('answers framework errors with the documented codes (%j)', async (headers, payload, status, code) => {
    const response = await app.inject({ method: 'POST', url: '/api/auth/dev', headers, payload });
    expect(response.statusCode).toBe(status);
    expect(response.json().error.code).toBe(code);
    expect(response.body).not.toMatch(/fst_err/i);
  });

  it('logs client failures at warn without a stack, never at error', async () => {
    lines.length = 0;
    await app.inject({
      method: 'POST',
      url: '/api/auth/dev',
      headers: { 'content-type': 'application/json' },
      payload: '{',
    });
    await app.inject({ method: 'GET', url: '/api/rooms/dev:x/stream' });
    await app.inject({ method: 'GET', url: '/api/stream/not-a-real-stream-id-at-all/index.m3u8' });
    const failures = lines.filter((line) => line.level >= 40);
    expect(failures.length).toBeGreaterThanOrEqual(3);
    for (const line of failures) {
      expect(line.level, line.msg).toBe(40);
      expect(JSON.stringify(line)).not.toContain('"stack"');
    }
  });

  it('writes stream and art ids to the request log as a short prefix only', async () => {
    lines.length = 0;
    const streamId = 'AbCdEfGh_the-rest-of-a-long-stream-id-that-acts-as-a-credential';
    const artId = 'ZyXwVuTs_the-rest-of-a-long-art-id';
    await app.inject({ method: 'GET', url: `/api/stream/${streamId}/index.m3u8?x=1` });
    await app.inject({ method: 'GET', url: `/api/art/${artId}` });
    const urls = lines.flatMap((line) => (line.req?.url ? [line.req.url] : []));
    expect(urls).toContain('/api/stream/AbCdEfGh…/index.m3u8');
    expect(urls).toContain('/api/art/ZyXwVuTs…');
    const all = lines.map((line) => JSON.stringify(line)).join('\n');
    expect(all).not.toContain(streamId);
    expect(all).not.toContain(artId);
  });
});
