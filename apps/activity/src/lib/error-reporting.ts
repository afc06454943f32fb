/**
 * The activity's error reports (Sentry's browser SDK). Loaded by dynamic import, and only when the
 * server says it reports errors (`GET /api/client-config`): otherwise neither this module nor the
 * SDK is ever fetched. Reports go to the server's tunnel on this origin, which scrubs them again and
 * adds the real DSN: the browser never holds the DSN's key, and inside Discord, whose proxy lets the
 * activity reach its own origin only, they still get out.
 */
import { type ClientConfig, scrubErrorEvent } from '@dpp/shared';
import * as Sentry from '@sentry/browser';
import { getSessionToken } from './api.ts';

/** Only the shape matters: the SDK needs a DSN to start, and the server swaps in its own. */
const PLACEHOLDER_DSN = 'https://activity@errors.invalid/1';

export function startErrorReporting(settings: NonNullable<ClientConfig['errorReporting']>): void {
  const scrub = <T>(event: T): T => scrubErrorEvent(event, { secrets: [getSessionToken()] });
  Sentry.init({
    dsn: PLACEHOLDER_DSN,
    tunnel: settings.tunnel,
    environment: settings.environment,
    // Nothing about the viewer, their requests or cookies: an error needs its stack, not them.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
      stackFrameVariables: false,
    },
    // Errors only: no session pings, no tracing.
    integrations: (defaults) => defaults.filter((integration) => integration.name !== 'BrowserSession'),
    beforeSend: (event) => scrub(event),
    beforeBreadcrumb: (breadcrumb) => scrub(breadcrumb),
  });
}
