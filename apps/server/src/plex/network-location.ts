import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * Where Plex sees us, as its transcoder's `location` parameter: `lan` when we reach the server on
 * a private, loopback or link-local address (Plex then treats the party as a local client: no
 * remote-streaming limits, no Plex Pass needed for remote access), `wan` otherwise.
 */
export type PlexLocation = 'lan' | 'wan';

const LAN_RANGES = new Set(['private', 'loopback', 'linkLocal', 'uniqueLocal', 'carrierGradeNat']);

export function addressLocation(address: string): PlexLocation {
  if (!ipaddr.isValid(address)) return 'wan';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return LAN_RANGES.has(parsed.range()) ? 'lan' : 'wan';
}

/**
 * `*.plex.direct` names carry the address they resolve to (`192-168-1-5.<hash>.plex.direct`,
 * IPv6 with `-` for `:`), so no lookup is needed for them.
 */
function plexDirectAddress(hostname: string): string | undefined {
  const match = /^([0-9a-f-]+)\.[0-9a-f]+\.plex\.direct$/i.exec(hostname);
  if (!match) return undefined;
  const label = match[1]!;
  const v4 = label.replaceAll('-', '.');
  if (ipaddr.IPv4.isValidFourPartDecimal(v4)) return v4;
  const v6 = label.replaceAll('-', ':');
  return ipaddr.IPv6.isValid(v6) ? v6 : undefined;
}

/** The location of a server URL: its address, else what its name resolves to (`wan` if nothing does). */
export async function plexLocation(baseUrl: string): Promise<PlexLocation> {
  const hostname = new URL(baseUrl).hostname.replace(/^\[|\]$/g, '');
  const literal = ipaddr.isValid(hostname) ? hostname : plexDirectAddress(hostname);
  if (literal) return addressLocation(literal);
  try {
    const { address } = await lookup(hostname);
    return addressLocation(address);
  } catch {
    return 'wan';
  }
}
