import { z } from 'zod';

/**
 * Every error answer of the HTTP API (the server's routes, the bot API): a stable `code` programs
 * branch on and a `message` safe to show a person.
 */
export const apiErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ApiError = z.infer<typeof apiErrorSchema>;

export const errorBody = (code: string, message: string): ApiError => ({ error: { code, message } });

/** A route's documented error answers: the one error body under each status it may send. */
export function errorResponses<Status extends number>(...statuses: Status[]): Record<Status, typeof apiErrorSchema> {
  return Object.fromEntries(statuses.map((status) => [status, apiErrorSchema])) as Record<
    Status,
    typeof apiErrorSchema
  >;
}
