import { apiErrorSchema } from '@dpp/shared';
import type { z } from 'zod';
import { behindProxy, refreshProxyTicket } from '../platform/proxy-ticket.ts';

/** An HTTP error from our API (`{error: {code, message}}`), or `network` when the server was unreachable. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let sessionToken: string | null = null;

/** The bearer token every API call carries (set after sign-in). */
export function setSessionToken(token: string | null): void {
  sessionToken = token;
}

/** The bearer token API calls carry now (error reports cut it out of what they send). */
export function getSessionToken(): string | null {
  return sessionToken;
}

export interface ApiRequest<T> {
  method?: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  body?: unknown;
  signal?: AbortSignal;
  /** Validates the response; without it the body is returned as parsed JSON. */
  schema?: z.ZodType<T>;
  /** Skip the Authorization header (sign-in calls). */
  anonymous?: boolean;
}

function errorFrom(status: number, body: unknown): ApiError {
  const parsed = apiErrorSchema.safeParse(body);
  if (parsed.success) return new ApiError(status, parsed.data.error.code, parsed.data.error.message);
  return new ApiError(status, `http_${status}`, `The server answered ${status}.`);
}

/**
 * Calls our own API. Only relative URLs: in Discord every request goes through the activity's own
 * origin (the Discord proxy maps it to the server).
 */
export async function api<T>(path: string, request: ApiRequest<T> = {}): Promise<T> {
  if (!path.startsWith('/api/')) throw new Error(`api() takes a relative /api/ path, got ${path}`);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (sessionToken && !request.anonymous) headers.authorization = `Bearer ${sessionToken}`;
  const send = async (): Promise<Response> => {
    try {
      return await fetch(path, {
        method: request.method ?? (request.body === undefined ? 'GET' : 'POST'),
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: request.signal,
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection.');
    }
  };
  let response = await send();
  // Inside Discord a 401 may be the activity proxy's (its ticket expired): one fresh ticket, one retry.
  // A 401 that survives it is our server's, and goes to the caller (who renews the session).
  if (response.status === 401 && behindProxy() && (await refreshProxyTicket())) response = await send();
  const text = await response.text();
  let body: unknown = null;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      if (!response.ok) throw new ApiError(response.status, `http_${response.status}`, text.slice(0, 200));
      throw new ApiError(response.status, 'bad_response', 'The server sent something that is not JSON.');
    }
  }
  if (!response.ok) throw errorFrom(response.status, body);
  if (!request.schema) return body as T;
  const parsed = request.schema.safeParse(body);
  if (!parsed.success) {
    console.warn(`Unexpected response from ${path}`, parsed.error.issues);
    throw new ApiError(response.status, 'bad_response', 'The server sent an unexpected response.');
  }
  return parsed.data;
}

/** A human sentence for any error thrown by api() or elsewhere. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
