import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, startApp } from './streams/support/stream-app.ts';

const BOT_TOKEN = 'bot-token-for-rate-limit-tests';
const ANA = '100000000000000001';
const BEN = '100000000000000002';

describe('HTTP rate limits', () => {
  let app: App;

  beforeAll(async () => {
    ({ app } = await startApp({ BOT_API_TOKEN: BOT_TOKEN }));
  });
  afterAll(async () => {
    await app?.close();
  });

  const asBot = (user: string, token = BOT_TOKEN) =>
    app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}`, 'x-acting-user': user } });

  it('counts the bot per user it acts for: one busy user does not lock out the others', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 301; i++) statuses.push((await asBot(ANA)).statusCode);
    expect(statuses.slice(0, 300).every((status) => status === 200)).toBe(true);
    expect(statuses[300]).toBe(429);
    const limited = await asBot(ANA);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toEqual({
      error: { code: 'rate_limited', message: expect.stringMatching(/^Too many requests; try again in /) },
    });
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await asBot(BEN)).statusCode).toBe(200);
  });

  it('does not give a made-up acting user a budget of its own without the bot token', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 301; i++)
      statuses.push((await asBot(String(200000000000000000n + BigInt(i)), 'not-the-bot-token')).statusCode);
    // Refused (401) each time, and counted together: the last one is over the limit.
    expect(statuses.slice(0, 300).every((status) => status === 401)).toBe(true);
    expect(statuses[300]).toBe(429);
  });

  it('never limits posters: a library page shows dozens of them', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 310; i++) {
      const response = await app.inject({ method: 'GET', url: '/api/art/not-a-real-art-id' });
      statuses.add(response.statusCode);
    }
    // Refused as an unknown image each time, never as too many requests.
    expect(statuses.has(429)).toBe(false);
    expect([...statuses].every((status) => status >= 400 && status < 500)).toBe(true);
  });
});
