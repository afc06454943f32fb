/** Who we are to Plex: the X-Plex-* headers every request carries. */
export interface PlexClientIdentity {
  /** Stable per installation (derived from SECRET_KEY), so Plex lists us as one device. */
  clientIdentifier: string;
  product: string;
  version: string;
  /** Plex picks the playback profile from the platform; the activity plays in Chromium (Discord). */
  platform: string;
  device: string;
  deviceName: string;
}

export const PLEX_PRODUCT = 'Discord Plex Player';
export const PLEX_PRODUCT_VERSION = '0.1.0';

export function defaultIdentity(clientIdentifier: string): PlexClientIdentity {
  return {
    clientIdentifier,
    product: PLEX_PRODUCT,
    version: PLEX_PRODUCT_VERSION,
    platform: 'Chrome',
    device: 'Discord Activity',
    deviceName: PLEX_PRODUCT,
  };
}

/**
 * The headers for one request. The token travels only here, never in a URL, so URLs can be logged
 * and handed to the stream proxy without leaking it.
 */
export function plexHeaders(identity: PlexClientIdentity, token?: string): Record<string, string> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    'X-Plex-Product': identity.product,
    'X-Plex-Version': identity.version,
    'X-Plex-Client-Identifier': identity.clientIdentifier,
    'X-Plex-Platform': identity.platform,
    'X-Plex-Device': identity.device,
    'X-Plex-Device-Name': identity.deviceName,
  };
  if (token) headers['X-Plex-Token'] = token;
  return headers;
}
