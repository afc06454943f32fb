import diagnosticsChannel from 'node:diagnostics_channel';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { RoomObserver } from '../rooms/ports.ts';

/** What the rest of the server reports to traces (only when OTEL_EXPORTER_OTLP_ENDPOINT is set). */
export interface Tracing {
  roomCommand: RoomObserver['command'];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Undefined unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then nothing is measured or sent. */
    tracing: Tracing | undefined;
  }
}

/** Undici's request events (the Plex, plex.tv and Discord clients all go through undici's fetch). */
interface UndiciRequest {
  origin: string;
  method: string;
  path: string;
}

/** Which upstream an origin is, for the span's name: the configured ones by origin, else a Plex server. */
function upstreamOf(origin: string, known: Map<string, string>): string {
  try {
    return known.get(new URL(origin).origin) ?? 'plex';
  } catch {
    return 'plex';
  }
}

/**
 * OpenTelemetry traces, opt-in: with OTEL_EXPORTER_OTLP_ENDPOINT set, a span for every HTTP request
 * (by route pattern), every room command from a socket, and every upstream call (Plex, plex.tv,
 * Discord), batched to `<endpoint>/v1/traces` over OTLP/HTTP. Spans carry no query strings, headers
 * or bodies, so no token reaches the collector. Unset: no provider, no hooks, no subscriptions.
 */
export default fp(
  async (app) => {
    app.decorate('tracing', undefined);
    const endpoint = app.config.otlpEndpoint;
    if (!endpoint) return;
    // Loaded only when tracing is on: a server without it never pays for the SDK.
    const [{ SpanKind, SpanStatusCode }, { OTLPTraceExporter }, { resourceFromAttributes }, sdk] = await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-node'),
    ]);
    const { BatchSpanProcessor, NodeTracerProvider } = sdk;

    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'discord-plex-player-server' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))],
    });
    const tracer: Tracer = provider.getTracer('@dpp/server');

    // HTTP: one server span per request, named by its route pattern (never the raw URL).
    const requests = new WeakMap<FastifyRequest, Span>();
    app.addHook('onRequest', async (request) => {
      const route = request.routeOptions.url ?? 'unmatched';
      requests.set(
        request,
        tracer.startSpan(`${request.method} ${route}`, {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': request.method, 'http.route': route, 'dpp.request_id': request.id },
        }),
      );
    });
    app.addHook('onResponse', async (request, reply) => {
      const span = requests.get(request);
      if (!span) return;
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });

    // Upstream calls: undici's diagnostics channels see every request its fetch makes.
    const known = new Map<string, string>([
      [new URL(app.config.plexTvUrl).origin, 'plex.tv'],
      [new URL(app.config.discordApiUrl).origin, 'discord'],
    ]);
    const upstream = new WeakMap<object, Span>();
    const finish = (request: object, error?: Error) => {
      const span = upstream.get(request);
      if (!span) return;
      upstream.delete(request);
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error.name });
      span.end();
    };
    const onCreate = (message: unknown) => {
      const { request } = message as { request: UndiciRequest };
      const kind = upstreamOf(request.origin, known);
      const attributes: Attributes = {
        'http.request.method': request.method,
        'server.address': request.origin,
        'url.path': request.path.split('?')[0] ?? '',
        'dpp.upstream': kind,
      };
      upstream.set(request, tracer.startSpan(`${kind} ${request.method}`, { kind: SpanKind.CLIENT, attributes }));
    };
    const onHeaders = (message: unknown) => {
      const { request, response } = message as { request: object; response: { statusCode: number } };
      const span = upstream.get(request);
      span?.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
    };
    const onTrailers = (message: unknown) => finish((message as { request: object }).request);
    const onError = (message: unknown) => {
      const { request, error } = message as { request: object; error: Error };
      finish(request, error);
    };
    const channels = {
      'undici:request:create': onCreate,
      'undici:request:headers': onHeaders,
      'undici:request:trailers': onTrailers,
      'undici:request:error': onError,
    };
    for (const [name, listener] of Object.entries(channels)) diagnosticsChannel.subscribe(name, listener);

    app.tracing = {
      roomCommand: ({ op, roomId, startedAt, durationMs, outcome }) => {
        const span = tracer.startSpan(`room command ${op}`, {
          kind: SpanKind.SERVER,
          startTime: startedAt,
          attributes: { 'dpp.room_id': roomId, 'dpp.command.op': op, 'dpp.command.outcome': outcome },
        });
        if (outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
        span.end(startedAt + durationMs);
      },
    };

    app.addHook('onClose', async () => {
      for (const [name, listener] of Object.entries(channels)) diagnosticsChannel.unsubscribe(name, listener);
      await provider.shutdown();
    });
  },
  { name: 'tracing', dependencies: ['config'] },
);
