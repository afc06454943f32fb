import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { allowedOrigins, originRefusal } from '../src/rooms/ws-route.ts';

const base = {
  DATABASE_URL: 'memory://',
  SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
  BOT_API_TOKEN: 'x'.repeat(32),
};

describe('origins the room socket accepts', () => {
  it('takes the default PUBLIC_URL from PORT', () => {
    expect(loadConfig({ ...base, NODE_ENV: 'development', PORT: '3111' }).publicUrl).toBe('http://localhost:3111');
    expect(loadConfig({ ...base, NODE_ENV: 'development' }).publicUrl).toBe('http://localhost:3000');
    expect(loadConfig({ ...base, PORT: '3111', PUBLIC_URL: 'https://watch.example/' }).publicUrl).toBe(
      'https://watch.example',
    );
  });

  it('accepts localhost and 127.0.0.1 on that port in dev mode, and nothing else', () => {
    const origins = allowedOrigins(loadConfig({ ...base, NODE_ENV: 'development', PORT: '3111' }));
    expect(origins.has('http://localhost:3111')).toBe(true);
    expect(origins.has('http://127.0.0.1:3111')).toBe(true);
    expect(origins.has('http://127.0.0.1:3000')).toBe(false);
    expect(origins.has('http://evil.example:3111')).toBe(false);
  });

  it('is exactly PUBLIC_URL in production', () => {
    const config = loadConfig({ ...base, NODE_ENV: 'development', PUBLIC_URL: 'http://localhost:3000' });
    const origins = allowedOrigins({ ...config, env: 'production' });
    expect([...origins]).toEqual(['http://localhost:3000']);
  });

  it('explains a refusal by naming PUBLIC_URL, within a close frame’s 123 bytes', () => {
    expect(originRefusal('http://10.0.0.5:3000', 'http://localhost:3000')).toBe(
      'This page (http://10.0.0.5:3000) is not PUBLIC_URL (http://localhost:3000): open that address or set PUBLIC_URL.',
    );
    const long = originRefusal(`https://${'a'.repeat(200)}.example`, 'http://localhost:3000');
    expect(long).toContain('PUBLIC_URL');
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(123);
  });
});
