import { randomBytes } from 'node:crypto';
import type { PlexTvRoute } from './counters.ts';
import type { RequestContext } from './http.ts';
import { type DeviceJwk, type FakePlexTvAuth, PlexTvRefusal } from './plex-tv-jwt.ts';
import type { Route } from './pms-routes.ts';

/** The fake plex.tv: PIN sign-in (`/api/v2/pins`), the account (`/api/v2/user`) and `/api/v2/resources`. */

export interface FakePin {
  id: number;
  code: string;
  clientIdentifier: string;
  product: string;
  strong: boolean;
  createdAt: Date;
  expiresAt: Date;
  authToken: string | null;
  /** The device's public key, for a PIN made for JWT sign-in (collected with a signed device JWT). */
  jwk?: unknown;
}

/** A friend's server shared with the account: listed by `/api/v2/resources` with its own access token. */
export interface SharedResource {
  name: string;
  machineIdentifier: string;
  accessToken: string;
  connections: ResourceConnection[];
}

export interface ResourceConnection {
  protocol: 'http' | 'https';
  address: string;
  port: number;
  uri: string;
  local: boolean;
  relay: boolean;
  IPv6: boolean;
}

export interface PlexTvState {
  userToken: string;
  serverToken: string;
  machineIdentifier: string;
  friendlyName: string;
  version: string;
  pinTtlSeconds: number;
  /** Called after each PIN is created (the standalone fake uses it to approve PINs on its own). */
  onPinCreated?: (pin: FakePin) => void;
  /** The server's connections as `/api/v2/resources` lists them. */
  connections(options: { https: boolean; relay: boolean }): ResourceConnection[];
  auth: FakePlexTvAuth;
  /** Servers of friends shared with the account. */
  shared: SharedResource[];
}

const CODE_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export class PinStore {
  readonly #pins = new Map<number, FakePin>();
  #nextId = 1_000_001;

  create(clientIdentifier: string, product: string, strong: boolean, ttlSeconds: number, jwk?: unknown): FakePin {
    const bytes = randomBytes(strong ? 25 : 4);
    const code = [...bytes].map((b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
    const now = new Date();
    const pin: FakePin = {
      id: this.#nextId++,
      code: strong ? code : code.toUpperCase(),
      clientIdentifier,
      product,
      strong,
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
      authToken: null,
      jwk,
    };
    this.#pins.set(pin.id, pin);
    return pin;
  }

  /** A PIN by id or code, while it has not expired. */
  find(idOrCode: number | string): FakePin | undefined {
    const pin =
      typeof idOrCode === 'number' || /^\d+$/.test(idOrCode)
        ? this.#pins.get(Number(idOrCode))
        : [...this.#pins.values()].find((p) => p.code === idOrCode);
    return pin && pin.expiresAt.getTime() > Date.now() ? pin : undefined;
  }

  approve(idOrCode: number | string, token: string): FakePin {
    const pin = this.find(idOrCode);
    if (!pin) throw new Error(`fake plex.tv: no live PIN ${idOrCode}`);
    pin.authToken = token;
    return pin;
  }

  expire(idOrCode: number | string): void {
    const pin = this.find(idOrCode);
    if (pin) pin.expiresAt = new Date(Date.now() - 1);
  }

  all(): FakePin[] {
    return [...this.#pins.values()];
  }
}

function plexTvError(ctx: RequestContext, status: number, code: number, message: string) {
  return ctx.json({ errors: [{ code, message, status }] }, status);
}

/** Runs a step of the JWT sign-in; a JWT or key that plex.tv refuses becomes its error answer. */
async function refusing(ctx: RequestContext, step: () => Promise<void>): Promise<void> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof PlexTvRefusal) return plexTvError(ctx, error.status, error.code, error.message);
    throw error;
  }
}

function pinJson(pin: FakePin, authToken = pin.jwk ? null : pin.authToken) {
  return {
    id: pin.id,
    code: pin.code,
    product: pin.product,
    trusted: false,
    qr: `https://plex.tv/api/v2/pins/qr/${pin.code}`,
    clientIdentifier: pin.clientIdentifier,
    location: {
      code: 'ZZ',
      european_union_member: false,
      continent_code: 'ZZ',
      country: 'Loopback',
      city: 'Localhost',
      time_zone: 'UTC',
      postal_code: '00000',
      in_privacy_restricted_country: false,
      subdivisions: '',
      coordinates: '0, 0',
    },
    expiresIn: Math.max(0, Math.round((pin.expiresAt.getTime() - Date.now()) / 1000)),
    createdAt: pin.createdAt.toISOString(),
    expiresAt: pin.expiresAt.toISOString(),
    authToken,
    newRegistration: null,
  };
}

export function plexTvRoutes(state: PlexTvState, pins: PinStore): Route<PlexTvRoute>[] {
  /** The legacy token or a live Plex JWT of the account; an expired JWT is told apart (498). */
  const authorize = async (ctx: RequestContext): Promise<boolean> => {
    const check = await state.auth.check(ctx.plex('X-Plex-Token'));
    if (check.ok) return true;
    if (check.status === 498) await plexTvError(ctx, 498, 1099, 'Token expired');
    else await plexTvError(ctx, 401, 1001, 'User could not be authenticated');
    return false;
  };
  /**
   * plex.tv's guards on its sign-in and JWT routes: without X-Plex-Client-Identifier it answers 400
   * (the nonce route 422), and a JWT it refuses (PlexTvRefusal) is its error answer.
   */
  const forClient =
    (missingStatus: 400 | 422, handle: (ctx: RequestContext, clientIdentifier: string) => Promise<void>) =>
    (ctx: RequestContext): Promise<void> => {
      const clientIdentifier = ctx.plex('X-Plex-Client-Identifier');
      if (!clientIdentifier) return plexTvError(ctx, missingStatus, 1000, 'X-Plex-Client-Identifier is missing');
      return refusing(ctx, () => handle(ctx, clientIdentifier));
    };
  const createdAt = new Date(Date.UTC(2023, 10, 14, 22, 13, 20)).toISOString();

  return [
    {
      name: 'pinCreate',
      methods: ['POST'],
      pattern: /^\/api\/v2\/pins\/?$/,
      auth: false,
      body: true,
      handle: forClient(400, async (ctx, clientIdentifier) => {
        const body = ((await ctx.jsonBody()) ?? {}) as { jwk?: unknown; strong?: unknown };
        const product = ctx.plex('X-Plex-Product') ?? 'Plex Web';
        const strong = body.strong === true || ['true', '1'].includes(ctx.query('strong') ?? '');
        if (body.jwk !== undefined) {
          const jwk = body.jwk as Record<string, unknown>;
          if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || typeof jwk.kid !== 'string') {
            return plexTvError(ctx, 400, 1000, 'jwk must be an Ed25519 OKP key with x and kid');
          }
        }
        const pin = pins.create(clientIdentifier, product, strong, state.pinTtlSeconds, body.jwk);
        state.onPinCreated?.(pin);
        return ctx.json(pinJson(pin), 201);
      }),
    },
    {
      name: 'pinGet',
      methods: ['GET'],
      pattern: /^\/api\/v2\/pins\/(\d+)$/,
      auth: false,
      handle: async (ctx, m) => {
        const pin = pins.find(Number(m[1]));
        // plex.tv only shows a PIN to the client that created it.
        if (!pin || pin.clientIdentifier !== ctx.plex('X-Plex-Client-Identifier')) {
          return plexTvError(ctx, 404, 1020, 'Code not found or expired');
        }
        // A PIN made with a device key hands out a Plex JWT, to a device JWT signed with that key.
        const deviceJwt = ctx.query('deviceJWT');
        if (!pin.jwk || !pin.authToken || !deviceJwt) return ctx.json(pinJson(pin));
        return refusing(ctx, async () => {
          const jwk = pin.jwk as DeviceJwk;
          await state.auth.verifyDeviceJwt(deviceJwt, { jwk, clientIdentifier: pin.clientIdentifier });
          state.auth.register(pin.jwk, pin.clientIdentifier, state.auth.account);
          return ctx.json(pinJson(pin, await state.auth.issue(state.auth.account)));
        });
      },
    },
    {
      name: 'user',
      methods: ['GET'],
      pattern: /^\/api\/v2\/user\/?$/,
      auth: false,
      handle: async (ctx) => {
        if (!(await authorize(ctx))) return;
        return ctx.json({
          id: 1,
          uuid: 'f4ke0wner0000001',
          username: 'fake-owner',
          title: 'fake-owner',
          email: 'owner@fake-plex.test',
          friendlyName: 'Fake Owner',
          locale: null,
          confirmed: true,
          joinedAt: 1_600_000_000,
          emailOnlyAuth: false,
          hasPassword: true,
          protected: false,
          thumb: 'https://plex.tv/users/f4ke0wner0000001/avatar',
          authToken: state.userToken,
          mailingListStatus: 'unsubscribed',
          mailingListActive: false,
          scrobbleTypes: '',
          country: 'ZZ',
          subscription: {
            active: false,
            subscribedAt: null,
            status: 'Inactive',
            paymentService: null,
            plan: null,
            features: [],
          },
          subscriptionDescription: null,
          restricted: false,
          anonymous: null,
          home: false,
          guest: false,
          homeSize: 1,
          homeAdmin: true,
          maxHomeSize: 15,
          rememberExpiresAt: Math.round(Date.now() / 1000) + 30 * 86_400,
          profile: {
            autoSelectAudio: true,
            defaultAudioLanguage: 'en',
            defaultSubtitleLanguage: null,
            autoSelectSubtitle: 0,
            defaultSubtitleAccessibility: 0,
            defaultSubtitleForced: 0,
            watchedIndicator: 1,
            mediaReviewsVisibility: 0,
          },
          entitlements: [],
          roles: [],
          services: [],
          adsConsent: null,
          adsConsentSetAt: null,
          adsConsentReminderAt: null,
          experimentalFeatures: false,
          twoFactorEnabled: false,
          backupCodesCreated: false,
        });
      },
    },
    {
      name: 'resources',
      methods: ['GET'],
      pattern: /^\/api\/v2\/resources\/?$/,
      auth: false,
      handle: async (ctx) => {
        if (!(await authorize(ctx))) return;
        const flag = (name: string) => ['1', 'true'].includes(ctx.query(name) ?? '');
        const lastSeenAt = new Date().toISOString();
        return ctx.json([
          {
            name: state.friendlyName,
            product: 'Plex Media Server',
            productVersion: state.version,
            platform: 'Linux',
            platformVersion: '6.1.0',
            device: 'PC',
            clientIdentifier: state.machineIdentifier,
            createdAt,
            lastSeenAt,
            provides: 'server',
            ownerId: null,
            sourceTitle: null,
            publicAddress: '127.0.0.1',
            accessToken: state.serverToken,
            owned: true,
            home: false,
            synced: false,
            relay: true,
            presence: true,
            httpsRequired: false,
            publicAddressMatches: true,
            dnsRebindingProtection: false,
            natLoopbackSupported: false,
            connections: state.connections({ https: flag('includeHttps'), relay: flag('includeRelay') }),
          },
          ...state.shared.map((server) => ({
            name: server.name,
            product: 'Plex Media Server',
            productVersion: state.version,
            platform: 'Linux',
            platformVersion: '6.1.0',
            device: 'PC',
            clientIdentifier: server.machineIdentifier,
            createdAt,
            lastSeenAt,
            provides: 'server',
            ownerId: 2,
            sourceTitle: 'a-friend',
            publicAddress: '127.0.0.1',
            accessToken: server.accessToken,
            owned: false,
            home: false,
            synced: false,
            relay: true,
            presence: true,
            httpsRequired: false,
            publicAddressMatches: true,
            dnsRebindingProtection: false,
            natLoopbackSupported: false,
            connections: server.connections.filter((c) => c.protocol === 'http' || flag('includeHttps')),
          })),
          {
            name: 'Living Room TV',
            product: 'Plex for Android (TV)',
            productVersion: '10.20.0.1',
            platform: 'Android',
            platformVersion: '12',
            device: 'SHIELD Android TV',
            clientIdentifier: 'f4ke-player-0001',
            createdAt,
            lastSeenAt,
            provides: 'player,pubsub-player',
            ownerId: null,
            sourceTitle: null,
            publicAddress: '127.0.0.1',
            accessToken: state.userToken,
            owned: true,
            home: false,
            synced: false,
            relay: false,
            presence: false,
            httpsRequired: false,
            publicAddressMatches: true,
            dnsRebindingProtection: false,
            natLoopbackSupported: false,
            connections: [],
          },
        ]);
      },
    },
    {
      name: 'authJwk',
      methods: ['POST'],
      pattern: /^\/api\/v2\/auth\/jwk\/?$/,
      auth: false,
      body: true,
      handle: forClient(400, async (ctx, clientIdentifier) => {
        const body = (await ctx.jsonBody()) as { jwk?: unknown } | undefined;
        if (!(await authorize(ctx))) return;
        state.auth.register(body?.jwk, clientIdentifier, state.auth.account);
        return ctx.send(204, '');
      }),
    },
    {
      name: 'authNonce',
      methods: ['GET'],
      pattern: /^\/api\/v2\/auth\/nonce\/?$/,
      auth: false,
      handle: forClient(422, (ctx) => ctx.json({ nonce: state.auth.nonce() })),
    },
    {
      name: 'authToken',
      methods: ['POST'],
      pattern: /^\/api\/v2\/auth\/token\/?$/,
      auth: false,
      body: true,
      handle: forClient(400, async (ctx) => {
        const body = (await ctx.jsonBody()) as { jwt?: unknown } | undefined;
        if (typeof body?.jwt !== 'string') return plexTvError(ctx, 400, 1000, 'jwt is missing');
        return ctx.json({ auth_token: await state.auth.exchange(body.jwt) });
      }),
    },
    {
      name: 'authKeys',
      methods: ['GET'],
      pattern: /^\/api\/v2\/auth\/keys\/?$/,
      auth: false,
      handle: async (ctx) => ctx.json(state.auth.jwks),
    },
    {
      // A stand-in for app.plex.tv/auth, for manual sign-in against the standalone fake:
      // `<plexTvUrl>/auth#?code=<pin code>` shows the code and an Approve button.
      name: 'authPage',
      methods: ['GET'],
      pattern: /^\/auth\/?$/,
      auth: false,
      handle: (ctx) =>
        ctx.send(200, AUTH_PAGE, { 'content-type': 'text/html;charset=utf-8', 'cache-control': 'no-store' }),
    },
    {
      name: 'authApprove',
      methods: ['POST'],
      pattern: /^\/auth\/approve\/([A-Za-z0-9]+)$/,
      auth: false,
      handle: async (ctx, m) => {
        const pin = pins.find(m[1]!);
        if (!pin) return plexTvError(ctx, 404, 1020, 'Code not found or expired');
        pins.approve(pin.id, state.userToken);
        return ctx.json({ approved: pin.id });
      },
    },
  ];
}

const AUTH_PAGE = `<!doctype html>
<meta charset="utf-8"><title>Fake plex.tv sign-in</title>
<body style="font:16px system-ui;margin:3em">
<h1>Fake plex.tv</h1>
<p>Approve the sign-in for PIN <code id="code">(none)</code>?</p>
<button id="ok">Approve</button> <span id="out"></span>
<script>
const code = new URLSearchParams(location.hash.replace(/^#\\??/, '')).get('code') ?? '';
document.getElementById('code').textContent = code || '(none)';
document.getElementById('ok').onclick = async () => {
  const r = await fetch('/auth/approve/' + encodeURIComponent(code), { method: 'POST' });
  document.getElementById('out').textContent = r.ok ? 'Approved: you can close this tab.' : 'Unknown or expired PIN.';
};
</script>
</body>
`;
