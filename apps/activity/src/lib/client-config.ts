import { type ClientConfig, clientConfigSchema } from '@dpp/shared';
import { api } from './api.ts';

/**
 * Asks the server what it wants of the activity before sign-in, and starts error reporting when it
 * reports errors. Never fails the app: without an answer the activity simply reports nothing.
 */
export async function startErrorReportingIfEnabled(): Promise<void> {
  let settings: ClientConfig['errorReporting'];
  try {
    settings = (await api('/api/client-config', { anonymous: true, schema: clientConfigSchema })).errorReporting;
  } catch {
    return;
  }
  if (!settings) return;
  const { startErrorReporting } = await import('./error-reporting.ts');
  startErrorReporting(settings);
}
