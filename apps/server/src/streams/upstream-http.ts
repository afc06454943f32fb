import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher, errors, request } from 'undici';
import { HttpError } from '../lib/errors.ts';

/** Response headers a client may see from a proxied file; nothing else crosses (no Location, no Set-Cookie). */
export const PASSED_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'etag',
  'last-modified',
] as const;

/** Request headers worth forwarding for a file: range and conditional requests. */
export const FORWARDED_HEADERS = ['range', 'if-range', 'if-none-match', 'if-modified-since'] as const;

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Dispatcher.ResponseData['body'];
}

/**
 * Drops a body the proxy will not pass on. Small ones are read to the end so the connection goes
 * back to the pool; a destroyed undici body reports an abort, which nobody needs to hear about.
 */
export function discard(body: UpstreamResponse['body']): void {
  body.on('error', () => {});
  body.dump({ limit: 64 * 1024 }).catch(() => {});
}

export function pickHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const picked: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') picked[name] = value;
  }
  return picked;
}

/**
 * The proxy's HTTP client for Plex: undici with keep-alive, no redirects followed (a redirect would
 * leak an upstream address if passed on, and is not something Plex does for media), and timeouts
 * on the headers (a transcode can take a while to produce its first segment) and between body chunks.
 */
export class UpstreamHttp {
  private readonly agent = new Agent({
    keepAliveTimeout: 30_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
    connections: 64,
  });

  async open(
    method: 'GET' | 'HEAD',
    url: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<UpstreamResponse> {
    try {
      // Bigger body chunks than undici's 64 KiB default: fewer pause/resume turns per megabyte.
      const response = await request(url, {
        method,
        headers,
        signal,
        dispatcher: this.agent,
        highWaterMark: 256 * 1024,
      });
      const flat: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (typeof value === 'string') flat[name] = value;
        else if (Array.isArray(value)) flat[name] = value.join(', ');
      }
      return { status: response.statusCode, headers: flat, body: response.body };
    } catch (error) {
      throw upstreamFailure(error);
    }
  }

  /** The whole body, refused past `maxBytes` (playlists, segments). Non-2xx answers become HttpErrors. */
  async fetchBytes(url: string, headers: Record<string, string>, maxBytes: number): Promise<Buffer> {
    const response = await this.open('GET', url, headers);
    if (response.status !== 200) {
      discard(response.body);
      throw statusFailure(response.status);
    }
    return readAll(response, maxBytes);
  }

  /**
   * One byte range of a file, whole, with the answer's status and headers (the caller checks that
   * the range and the validators are the ones it asked for). Non-2xx answers become HttpErrors.
   */
  async fetchRange(
    url: string,
    headers: Record<string, string>,
    start: number,
    end: number,
    signal?: AbortSignal,
  ): Promise<{ status: number; headers: Record<string, string>; bytes: Buffer }> {
    const response = await this.open('GET', url, { ...headers, range: `bytes=${start}-${end}` }, signal);
    if (response.status !== 200 && response.status !== 206) {
      discard(response.body);
      throw statusFailure(response.status);
    }
    // A server that ignores Range sends the whole file: never read more than the piece asked for.
    if (response.status === 200 && start !== 0) {
      discard(response.body);
      throw new HttpError(502, 'upstream_no_ranges', 'The media server does not serve byte ranges.');
    }
    return { status: response.status, headers: response.headers, bytes: await readAll(response, end - start + 1) };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

async function readAll(response: UpstreamResponse, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        discard(response.body);
        throw new HttpError(502, 'upstream_too_large', 'The media server sent more than the proxy will hold.');
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    throw error instanceof HttpError ? error : upstreamFailure(error);
  }
  return Buffer.concat(chunks, size);
}

/** An upstream answer the proxy will not pass on, as an error for the client (no upstream detail in it). */
export function statusFailure(status: number): HttpError {
  if (status === 404 || status === 410) {
    return new HttpError(404, 'stream_source_gone', 'The media server no longer has this stream.');
  }
  if (status === 401 || status === 403) {
    return new HttpError(502, 'upstream_rejected', 'The media server refused the request (its token may be revoked).');
  }
  return new HttpError(502, 'upstream_failed', `The media server answered ${status}.`);
}

export function upstreamFailure(error: unknown): HttpError {
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError) {
    return new HttpError(504, 'upstream_timeout', 'The media server took too long to answer.');
  }
  if (error instanceof errors.RequestAbortedError || (error instanceof Error && error.name === 'AbortError')) {
    return new HttpError(499, 'client_gone', 'The client went away.');
  }
  return new HttpError(502, 'upstream_unreachable', 'The media server cannot be reached.');
}
