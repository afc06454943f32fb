import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

export interface ReceivedEnvelope {
  url: string;
  headers: IncomingHttpHeaders;
  /** The envelope as text (decompressed): what a secret must never appear in. */
  text: string;
  header: Record<string, unknown>;
  items: { header: { type?: string } & Record<string, unknown>; payload: unknown }[];
}

export interface SentryEvent {
  message?: string;
  environment?: string;
  tags?: Record<string, string>;
  exception?: { values?: { type?: string; value?: string }[] };
  request?: Record<string, unknown>;
}

/**
 * A local stand-in for Sentry's ingest: keeps every envelope POSTed to `/api/<project>/envelope/`
 * (Sentry's envelope format: newline-separated JSON, the body maybe gzip- or deflate-compressed).
 */
export async function startSentryReceiver() {
  const envelopes: ReceivedEnvelope[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const encoding = request.headers['content-encoding'];
      const body = encoding === 'gzip' ? gunzipSync(raw) : encoding === 'deflate' ? inflateSync(raw) : raw;
      if (request.method === 'POST' && /^\/api\/\d+\/envelope\/?(\?|$)/.test(request.url ?? '')) {
        envelopes.push({ url: request.url ?? '', headers: request.headers, ...parseEnvelope(body.toString('utf8')) });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    /** A DSN for this receiver (its public key is not a secret of ours). */
    dsn: `http://receiverpublickey@127.0.0.1:${port}/42`,
    envelopes,
    /** Every error event received so far. */
    events: (): SentryEvent[] =>
      envelopes.flatMap((e) => e.items.filter((i) => i.header.type === 'event').map((i) => i.payload as SentryEvent)),
    /** All envelopes as one text, for "this secret appears nowhere". */
    everything: () => envelopes.map((e) => `${e.url}\n${e.text}`).join('\n'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type SentryReceiver = Awaited<ReturnType<typeof startSentryReceiver>>;

function parseEnvelope(text: string): Omit<ReceivedEnvelope, 'url' | 'headers'> {
  const lines = text.split('\n');
  const header = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  const items: ReceivedEnvelope['items'] = [];
  for (let i = 1; i + 1 < lines.length; i += 2) {
    const line = lines[i];
    if (!line) continue;
    const itemHeader = JSON.parse(line) as ReceivedEnvelope['items'][number]['header'];
    const payloadText = lines[i + 1] ?? '';
    let payload: unknown = payloadText;
    try {
      payload = JSON.parse(payloadText);
    } catch {
      // an attachment: kept as text
    }
    items.push({ header: itemHeader, payload });
  }
  return { text, header, items };
}
