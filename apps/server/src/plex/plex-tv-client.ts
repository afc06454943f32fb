import { type PlexClientIdentity, plexHeaders } from './headers.ts';
import { PlexHttp, type PlexHttpOptions, type PlexMetrics } from './http.ts';
import { type PlexPin, type PlexResource, pinSchema, resourcesSchema } from './schemas.ts';

export interface PlexTvClientOptions {
  baseUrl: string;
  identity: PlexClientIdentity;
  metrics?: PlexMetrics;
  http?: Partial<PlexHttpOptions>;
}

/** plex.tv: PIN sign-in and the account's servers. */
export class PlexTvClient {
  private readonly http: PlexHttp;

  constructor(private readonly options: PlexTvClientOptions) {
    this.http = new PlexHttp(options.baseUrl.replace(/\/+$/, ''), options.metrics, options.http);
  }

  get clientIdentifier(): string {
    return this.options.identity.clientIdentifier;
  }

  /** A strong (long-code) PIN the user approves at app.plex.tv/auth. Not retried: it is a POST. */
  createPin(): Promise<PlexPin> {
    return this.http.json(
      {
        endpoint: 'pins',
        method: 'POST',
        path: '/api/v2/pins',
        query: { strong: 'true' },
        headers: plexHeaders(this.options.identity),
      },
      pinSchema,
    );
  }

  /** The PIN's state; `authToken` is set once the user approved it. */
  pin(id: number): Promise<PlexPin> {
    return this.http.json(
      { endpoint: 'pin', path: `/api/v2/pins/${id}`, headers: plexHeaders(this.options.identity) },
      pinSchema,
    );
  }

  /** Devices of the account, with connections (https and relay ones included). */
  resources(accountToken: string): Promise<PlexResource[]> {
    return this.http.json(
      {
        endpoint: 'resources',
        path: '/api/v2/resources',
        query: { includeHttps: 1, includeRelay: 1 },
        headers: plexHeaders(this.options.identity, accountToken),
      },
      resourcesSchema,
    );
  }

  /**
   * Where the user approves a PIN: app.plex.tv for the real plex.tv, else the same origin's `/auth`
   * (a stand-in such as the fake plex.tv used for manual testing).
   */
  linkUrl(code: string, product: string): string {
    const params = new URLSearchParams({
      clientID: this.options.identity.clientIdentifier,
      code,
      'context[device][product]': product,
    });
    const base = new URL(this.options.baseUrl);
    const page = /(^|\.)plex\.tv$/.test(base.hostname)
      ? 'https://app.plex.tv/auth'
      : `${this.options.baseUrl.replace(/\/+$/, '')}/auth`;
    return `${page}#?${params.toString()}`;
  }
}
