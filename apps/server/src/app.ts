import { randomUUID } from 'node:crypto';
import { BOT_API_ERRORS, errorBody } from '@dpp/shared';
import Fastify, { type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import admin from './admin/plugin.ts';
import adminRoutes from './admin/routes.ts';
import discordAuthRoutes from './auth/discord-routes.ts';
import auth from './auth/plugin.ts';
import authRoutes from './auth/routes.ts';
import botApiRoutes from './bot-api/routes.ts';
import type { Config } from './config.ts';
import { isDatabaseUnavailable } from './db/database.ts';
import discord from './discord/plugin.ts';
import { HttpError } from './lib/errors.ts';
import { loggerOptions } from './lib/logger.ts';
import library from './library/plugin.ts';
import progressRoutes from './library/progress-routes.ts';
import libraryRoutes from './library/routes.ts';
import {
  InvalidCursorError,
  ItemNotFoundError,
  NotPlayableError,
  SourceError,
  SourceUnauthorizedError,
  SourceUnavailableError,
} from './media/errors.ts';
import { PinNotLinkedError, ServerNotAvailableError, UnknownPinError } from './plex/linking.ts';
import plex from './plex/plugin.ts';
import plexRoutes from './plex/routes.ts';
import activity from './plugins/activity.ts';
import configPlugin from './plugins/config.ts';
import database from './plugins/database.ts';
import dependencyMetrics from './plugins/dependency-metrics.ts';
import embeddedBot from './plugins/embedded-bot.ts';
import errorReporting from './plugins/error-reporting.ts';
import infra from './plugins/infra.ts';
import metrics from './plugins/metrics.ts';
import openapi from './plugins/openapi.ts';
import rateLimit from './plugins/rate-limit.ts';
import sealing from './plugins/sealing.ts';
import securityHeaders from './plugins/security-headers.ts';
import tracing from './plugins/tracing.ts';
import rooms from './rooms/plugin.ts';
import roomRoutes from './rooms/routes.ts';
import roomsWs from './rooms/ws-route.ts';
import clientRoutes from './routes/client.ts';
import health from './routes/health.ts';
import { PlaylistParseError } from './streams/hls-rewrite.ts';
import streams from './streams/plugin.ts';
import streamRoutes from './streams/routes.ts';

/** The documented codes for client errors the framework raises itself (never its `fst_err_*` names). */
const CLIENT_ERROR_CODES: Record<number, string> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

const RELINK = 'An admin needs to link the Plex server again (Plex sign-in).';

/** What the API says when a library source fails (the only remote source is a Plex server). */
function sourceHttpError(error: SourceError): HttpError {
  if (error instanceof ItemNotFoundError) {
    return new HttpError(404, 'not_found', 'That item is not in the library (any more).');
  }
  if (error instanceof InvalidCursorError) return new HttpError(400, 'bad_cursor', error.message);
  if (error instanceof NotPlayableError) return new HttpError(409, 'not_playable', error.message);
  if (error instanceof SourceUnavailableError) {
    return new HttpError(
      502,
      'plex_unreachable',
      'The Plex server is not reachable right now. Check that it is online, then try again.',
    );
  }
  if (error instanceof SourceUnauthorizedError) {
    return new HttpError(502, 'plex_auth', `The Plex server rejected this app's sign-in. ${RELINK}`);
  }
  return new HttpError(502, 'plex_error', 'The Plex server could not answer that request. Try again later.');
}

/**
 * The one mapping of the errors routes and capabilities throw to an HTTP status and a typed body;
 * undefined for anything else (a bug, or the framework's own errors). The bot is told that its
 * guild's library did not answer with 503 `plex_unavailable`, which it shows kindly and never retries.
 */
function httpErrorOf(error: unknown, request: FastifyRequest): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof SourceError) {
    const mapped = sourceHttpError(error);
    if (mapped.statusCode === 502 && request.url.startsWith('/api/bot/')) {
      return new HttpError(503, BOT_API_ERRORS.plexUnavailable, mapped.message);
    }
    return mapped;
  }
  if (error instanceof UnknownPinError || error instanceof ServerNotAvailableError) {
    return new HttpError(404, 'not_found', error.message);
  }
  if (error instanceof PinNotLinkedError) return new HttpError(409, 'pin_not_linked', error.message);
  if (error instanceof PlaylistParseError) {
    return new HttpError(502, 'upstream_playlist_invalid', 'The media server sent a playlist the proxy cannot use.');
  }
  return undefined;
}

/**
 * A 5xx answer, to Sentry when SENTRY_DSN is set: the route pattern, method, status and request id
 * (the log lines' `reqId`), never the URL's query, headers, cookies or body.
 */
function reportServerError(request: FastifyRequest, error: unknown, status: number): void {
  request.server.errorReporting?.capture(error, {
    route: request.routeOptions.url ?? 'unmatched',
    method: request.method,
    status,
    request_id: request.id,
  });
}

/** TRUST_PROXY as a hop count: the nearest `hops` proxies are believed, as Fastify does for a number. */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

export interface BuildOptions {
  config: Config;
  logger?: FastifyServerOptions['logger'];
  /** Where the built activity lives (tests point this elsewhere). */
  activityRoot?: string;
  /** Report the process's uncaught exceptions and unhandled rejections too (the entry point; never in tests). */
  reportProcessErrors?: boolean;
}

/**
 * The app as one Fastify instance. Plugins load in a fixed order: external services (metrics,
 * database, cache/store/bus, OpenAPI, rate limits) → capabilities → routes → the activity.
 */
export async function buildApp(options: BuildOptions) {
  const app = Fastify({
    logger: options.logger ?? loggerOptions(options.config),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Nobody's X-Forwarded-For is believed unless TRUST_PROXY names the proxy in front.
    trustProxy:
      typeof options.config.trustProxy === 'number' ? trustHops(options.config.trustProxy) : options.config.trustProxy,
    forceCloseConnections: true,
    // PGlite replaying its log after a crash, or migrations on a busy machine, take longer than
    // Fastify's 10 s default for one plugin; a restart must not fail for that.
    pluginTimeout: 120_000,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const first = error.validation[0];
      const where = first?.instancePath ? `${error.validationContext} ${first.instancePath}` : error.validationContext;
      const message = `Invalid ${where}: ${first?.message ?? 'bad input'}`;
      request.log.warn({ code: 'bad_request', statusCode: 400 }, message);
      return reply.code(400).send(errorBody('bad_request', message));
    }
    const known = httpErrorOf(error, request);
    if (known) {
      if (known.statusCode >= 500) reportServerError(request, known, known.statusCode);
      // The client's doing (or an upstream's answer passed on): a line at warn, no stack; what was
      // translated keeps its own words (a Plex endpoint and status, never a URL or a token).
      const reason = known === error ? undefined : (error as Error).message;
      request.log.warn({ code: known.code, statusCode: known.statusCode, reason }, known.message);
      return reply.code(known.statusCode).send(errorBody(known.code, known.message));
    }
    if (isDatabaseUnavailable(error)) {
      reportServerError(request, error, 503);
      request.log.warn({ err: error }, 'the database did not answer');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send(errorBody('database_unavailable', 'The database is not answering; try again shortly.'));
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) reportServerError(request, error, status);
    if (status < 500) {
      // Framework errors (bad JSON, a wrong content type, a body too large) keep our documented codes.
      const code = CLIENT_ERROR_CODES[status] ?? 'bad_request';
      const message = error instanceof Error ? error.message : String(error);
      request.log.warn({ code, statusCode: status }, message);
      return reply.code(status).send(errorBody(code, message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(status).send(errorBody('internal', 'Something went wrong on our side.'));
  });

  await app.register(configPlugin, { config: options.config });
  await app.register(sealing);
  await app.register(securityHeaders);
  await app.register(metrics);
  await app.register(tracing);
  await app.register(errorReporting, { processErrors: options.reportProcessErrors ?? false });
  await app.register(database);
  await app.register(infra);
  await app.register(dependencyMetrics);
  await app.register(openapi);
  await app.register(rateLimit);
  await app.register(auth);
  await app.register(discord);
  await app.register(plex);
  await app.register(library);
  await app.register(rooms);
  await app.register(streams);
  await app.register(admin);

  await app.register(health);
  await app.register(clientRoutes);
  await app.register(authRoutes);
  await app.register(discordAuthRoutes);
  await app.register(roomsWs);
  await app.register(roomRoutes);
  await app.register(libraryRoutes);
  await app.register(progressRoutes);
  await app.register(plexRoutes);
  await app.register(streamRoutes);
  await app.register(botApiRoutes);
  await app.register(adminRoutes);

  await app.register(activity, { root: options.activityRoot });
  await app.register(embeddedBot);
  return app;
}
