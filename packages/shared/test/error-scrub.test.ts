import { describe, expect, it } from 'vitest';
import { REDACTED, scrubErrorEvent, scrubText } from '../src/error-scrub.ts';

const PLEX_TOKEN = 'plexTOKEN1234abcd';
const SESSION = `AQ${'x1Y_-'.repeat(30)}`;
const BOT_TOKEN = 'MTA4NzY1NDMyMTA5ODc2NTQz.GhJkLm.abcdefghijklmnopqrstuvwxyz0123456789AB';

describe('scrubText', () => {
  it('cuts known secrets, credential parameters, bearer values, URL passwords and long opaque tokens', () => {
    expect(scrubText(`failed with ${PLEX_TOKEN} inside`, [PLEX_TOKEN])).toBe(`failed with ${REDACTED} inside`);
    expect(scrubText('GET http://plex:32400/library?X-Plex-Token=abc&x=1')).toBe(
      `GET http://plex:32400/library?X-Plex-Token=${REDACTED}&x=1`,
    );
    expect(scrubText('/api?token=abc&access_token=def&cursor=2')).toBe(
      `/api?token=${REDACTED}&access_token=${REDACTED}&cursor=2`,
    );
    expect(scrubText('Authorization: Bearer abcdefghijklmnop1234')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(scrubText('postgres://dpp:hunter2@db:5432/dpp')).toBe(`postgres://dpp:${REDACTED}@db:5432/dpp`);
    expect(scrubText(`session ${SESSION} refused`)).toBe(`session ${REDACTED} refused`);
    expect(scrubText(`bot ${BOT_TOKEN}`)).toBe(`bot ${REDACTED}`);
  });

  it('leaves ordinary words, paths and short ids alone', () => {
    const text = 'TypeError: Cannot read properties of undefined (reading "queue") at room-view.tsx:12:4 in Bot setup';
    expect(scrubText(text, ['ab'])).toBe(text);
  });
});

describe('scrubErrorEvent', () => {
  it("drops the request's headers, cookies, query and body, and blanks credential fields anywhere", () => {
    const event = {
      message: `boom ${PLEX_TOKEN}`,
      request: {
        url: `https://dpp.example/api/library?token=${SESSION}`,
        method: 'GET',
        headers: { Authorization: `Bearer ${SESSION}` },
        cookies: { session: SESSION },
        query_string: `token=${SESSION}`,
        data: { password: 'x' },
      },
      extra: { plexToken: PLEX_TOKEN, nested: [{ 'X-Plex-Token': PLEX_TOKEN, count: 3 }], sessionToken: null },
      tags: { route: '/api/library/sections', status: '502' },
      breadcrumbs: [{ category: 'fetch', data: { url: `/api/x?X-Plex-Token=${PLEX_TOKEN}` } }],
    };
    const scrubbed = scrubErrorEvent(event, { secrets: [PLEX_TOKEN] });
    expect(scrubbed).toEqual({
      message: `boom ${REDACTED}`,
      request: { url: 'https://dpp.example/api/library', method: 'GET' },
      extra: { plexToken: REDACTED, nested: [{ 'X-Plex-Token': REDACTED, count: 3 }], sessionToken: null },
      tags: { route: '/api/library/sections', status: '502' },
      breadcrumbs: [{ category: 'fetch', data: { url: `/api/x?X-Plex-Token=${REDACTED}` } }],
    });
    expect(JSON.stringify(scrubbed)).not.toContain(PLEX_TOKEN);
    expect(JSON.stringify(scrubbed)).not.toContain(SESSION);
    // A copy: the SDK's own event is not changed under it.
    expect(event.request.headers.Authorization).toContain(SESSION);
  });
});
