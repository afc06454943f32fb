import { type ErrorReporter, scrubErrorEvent } from '@dpp/shared';
import type { DataCollection } from '@sentry/core';

export type { ErrorReporter };

export interface ErrorReportingOptions {
  /** Sentry's DSN: `https://<key>@<host>/<project id>`. */
  dsn: string;
  environment: string;
  /** Which process reports (a tag on every event): `server` or `bot`. */
  service: string;
  /** Values cut out of every event wherever they appear (tokens, keys); read at each event. */
  secrets: () => readonly (string | undefined)[];
  /**
   * Report this process's uncaught exceptions and unhandled rejections too (entry points only, never
   * inside tests). `exit`: then end the process as Node would; `keep-running`: report them and go on.
   */
  processErrors?: 'exit' | 'keep-running';
}

export interface NodeErrorReporter extends ErrorReporter {
  /**
   * Passes an envelope the activity's browser SDK sent (its tunnel) on to Sentry with this process's
   * DSN, after scrubbing every item; items that are not JSON (attachments, replays) are dropped.
   * False when the body is not an envelope.
   */
  forwardEnvelope(body: string): Promise<boolean>;
  /** Sends what is queued, then stops. */
  close(timeoutMs?: number): Promise<void>;
}

/** Envelope items the tunnel passes on: errors and the SDK's own counters, all JSON. */
const FORWARDED_ITEMS = new Set(['event', 'session', 'sessions', 'client_report']);

/**
 * What the SDK may collect by itself: nothing about users, requests, bodies, queries, variables.
 * Sentry 11's defaults collect more (headers, cookies, query strings); errors need none of it.
 */
export const DATA_COLLECTION: DataCollection = {
  userInfo: false,
  cookies: false,
  httpHeaders: false,
  httpBodies: [],
  urlQueryParams: false,
  graphQL: { document: false, variables: false },
  genAI: { inputs: false, outputs: false },
  mcp: { inputs: false, outputs: false },
  databaseQueryData: false,
  queues: false,
  stackFrameVariables: false,
};

/**
 * Starts Sentry for errors only: no tracing (OpenTelemetry is the server's own), no automatic
 * instrumentation or module hooks, no personal data; every event and breadcrumb scrubbed before it
 * leaves. The SDK is loaded here, by dynamic import, so a process that never calls this never loads it.
 */
export async function startErrorReporting(options: ErrorReportingOptions): Promise<NodeErrorReporter> {
  const [Sentry, core] = await Promise.all([import('@sentry/node'), import('@sentry/core')]);
  const scrub = <T>(event: T): T => scrubErrorEvent(event, { secrets: options.secrets() });
  const processIntegrations =
    options.processErrors === undefined
      ? []
      : [
          Sentry.onUncaughtExceptionIntegration({ exitEvenIfOtherHandlersAreRegistered: false }),
          Sentry.onUnhandledRejectionIntegration({ mode: options.processErrors === 'exit' ? 'strict' : 'none' }),
        ];
  const client = Sentry.initWithoutDefaultIntegrations({
    dsn: options.dsn,
    environment: options.environment,
    dataCollection: DATA_COLLECTION,
    integrations: [Sentry.linkedErrorsIntegration(), Sentry.dedupeIntegration(), ...processIntegrations],
    enableOpenTelemetrySetup: false,
    enableRuntimeChannelInjection: false,
    initialScope: { tags: { service: options.service } },
    beforeSend: (event) => scrub(event),
    beforeBreadcrumb: (breadcrumb) => scrub(breadcrumb),
  });
  if (!client) throw new Error('Sentry did not start (is SENTRY_DSN a valid DSN?)');

  return {
    capture(error, context = {}) {
      const tags: Record<string, string> = {};
      for (const [key, value] of Object.entries(context)) if (value !== undefined) tags[key] = String(value);
      Sentry.captureException(error, { tags });
    },
    flush: (timeoutMs = 2000) => Sentry.flush(timeoutMs),
    close: async (timeoutMs = 2000) => {
      await Sentry.close(timeoutMs);
    },
    async forwardEnvelope(body) {
      let envelope: ReturnType<typeof core.parseEnvelope>;
      try {
        envelope = core.parseEnvelope(body);
      } catch {
        return false;
      }
      const [header, items] = envelope;
      if (typeof header !== 'object' || header === null || !Array.isArray(items) || items.length === 0) return false;
      const kept = items
        .filter(([item, payload]) => FORWARDED_ITEMS.has(item.type) && typeof payload === 'object' && payload !== null)
        .map(([item, payload]) => {
          // The length was the browser's; the scrubbed payload has its own.
          const { length: _length, ...rest } = item as typeof item & { length?: number };
          return [rest, scrub(payload)];
        });
      if (kept.length === 0) return true;
      // The browser's placeholder DSN and anything else in its header stay behind: only the id travels.
      const forwarded = core.createEnvelope<typeof envelope>(
        {
          ...(typeof header.event_id === 'string' ? { event_id: header.event_id } : {}),
          sent_at: new Date().toISOString(),
        },
        kept as unknown as (typeof envelope)[1],
      );
      await client.getTransport()?.send(forwarded);
      return true;
    },
  };
}
