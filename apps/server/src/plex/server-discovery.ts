import type { PlexClient } from './plex-client.ts';
import type { PlexConnection, PlexResource } from './schemas.ts';

export type ConnectionKind = 'local' | 'remote' | 'relay';

export interface DiscoveredServer {
  machineIdentifier: string;
  name: string;
  owned: boolean;
  /** The server's own access token (shared servers have one per user), else the account's. */
  token: string;
  /** The best connection that answered `/identity` as this server, or null. */
  connection: { uri: string; kind: ConnectionKind; secure: boolean } | null;
}

const kindOf = (connection: PlexConnection): ConnectionKind =>
  connection.relay ? 'relay' : connection.local ? 'local' : 'remote';

/**
 * Preference among a server's connections, best first: local https, remote https, remote http,
 * local http, relay. Relays are bandwidth-capped by Plex, so any direct route beats them; plain
 * http is dropped when the server requires https.
 */
export function rankConnections(connections: PlexConnection[], httpsRequired: boolean): PlexConnection[] {
  const rank = (c: PlexConnection) => {
    const https = c.protocol === 'https';
    if (c.relay) return 4;
    if (c.local) return https ? 0 : 3;
    return https ? 1 : 2;
  };
  return connections
    .filter((c) => c.protocol === 'https' || !httpsRequired)
    .map((c, order) => ({ c, order }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.order - b.order)
    .map(({ c }) => c);
}

export const isServer = (resource: PlexResource) => resource.provides.split(',').includes('server');

/**
 * The account's Media Servers with the best working connection of each. Every candidate is probed
 * at once with `/identity` (short limit, no retries), and only an answer naming the expected
 * machine counts: a stale address that now reaches another server is not a match.
 */
export async function discoverServers(
  resources: PlexResource[],
  accountToken: string,
  clientFor: (baseUrl: string, token: string) => PlexClient,
  probeTimeoutMs: number,
): Promise<DiscoveredServer[]> {
  return Promise.all(
    resources.filter(isServer).map(async (resource): Promise<DiscoveredServer> => {
      const token = resource.accessToken || accountToken;
      const ranked = rankConnections(resource.connections, resource.httpsRequired);
      const answers = await Promise.all(
        ranked.map(async (connection) => {
          try {
            const identity = await clientFor(connection.uri, token).identity({
              timeoutMs: probeTimeoutMs,
              retry: false,
            });
            return identity.machineIdentifier === resource.clientIdentifier;
          } catch {
            return false;
          }
        }),
      );
      const best = ranked.find((_, i) => answers[i]);
      return {
        machineIdentifier: resource.clientIdentifier,
        name: resource.name,
        owned: resource.owned,
        token,
        connection: best
          ? { uri: best.uri.replace(/\/+$/, ''), kind: kindOf(best), secure: best.protocol === 'https' }
          : null,
      };
    }),
  );
}
