import diagnosticsChannel from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../tests/fakes/plex/index.ts';
import { buildTestApp } from './rooms/support/test-app.ts';
import { WsClient } from './rooms/support/ws-client.ts';

interface OtlpSpan {
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
}

/** A local OTLP/HTTP collector: keeps every body POSTed to /v1/traces. */
async function startReceiver() {
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') bodies.push(Buffer.concat(chunks).toString());
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    spans: () =>
      bodies.flatMap((body) =>
        (JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) =>
          r.scopeSpans.flatMap((s) => s.spans),
        ),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const attribute = (span: OtlpSpan | undefined, key: string) => {
  const value = span?.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

describe('OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let plex: FakePlex;

  beforeAll(async () => {
    receiver = await startReceiver();
    plex = await startFakePlex();
  });
  afterAll(async () => {
    await plex?.close();
    await receiver?.close();
  });

  it('is off and costless when unset: no tracer, no upstream subscription, nothing sent', async () => {
    const app = await buildTestApp({ DATABASE_URL: 'memory://', PLEX_URL: plex.url, PLEX_TOKEN: plex.token });
    try {
      expect(app.tracing).toBeUndefined();
      expect(diagnosticsChannel.channel('undici:request:create').hasSubscribers).toBe(false);
      const { token } = (await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name: 'A' } })).json();
      expect(
        (await app.inject({ url: '/api/library/sections', headers: { authorization: `Bearer ${token}` } })).statusCode,
      ).toBe(200);
    } finally {
      await app.close();
    }
    expect(receiver.bodies).toEqual([]);
  });

  it('sends spans for HTTP requests, room commands and Plex calls, without tokens', async () => {
    const app = await buildTestApp({
      DATABASE_URL: 'memory://',
      PLEX_URL: plex.url,
      PLEX_TOKEN: plex.token,
      PUBLIC_URL: 'http://activity.example.test',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    let sessionToken = '';
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      sessionToken = (await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name: 'Ada' } })).json()
        .token;
      const sections = await app.inject({
        url: '/api/library/sections?cursor=abc',
        headers: { authorization: `Bearer ${sessionToken}` },
      });
      expect(sections.statusCode).toBe(200);

      const client = await WsClient.connect(`ws://127.0.0.1:${port}/ws`, { origin: 'http://activity.example.test' });
      await client.hello(sessionToken, 'dev:traced');
      await client.command({ op: 'settings', control: 'hosts' });
      await client.close();
    } finally {
      await app.close(); // flushes the batch
    }

    const spans = receiver.spans();
    const http = spans.find((s) => s.name === 'GET /api/library/sections');
    expect(attribute(http, 'http.response.status_code')).toBe(200);
    expect(attribute(http, 'http.route')).toBe('/api/library/sections');

    const plexCall = spans.find((s) => s.name === 'plex GET');
    expect(attribute(plexCall, 'dpp.upstream')).toBe('plex');
    expect(attribute(plexCall, 'server.address')).toBe(plex.url);
    expect(String(attribute(plexCall, 'url.path'))).toMatch(/^\/library\/sections/);

    const command = spans.find((s) => s.name === 'room command settings');
    expect(attribute(command, 'dpp.command.outcome')).toBe('ok');
    expect(attribute(command, 'dpp.room_id')).toBe('dev:traced');

    const everything = receiver.bodies.join('\n');
    expect(everything).not.toContain(plex.token);
    expect(everything).not.toContain(sessionToken);
    expect(everything).not.toContain('cursor=abc');
  });
});
