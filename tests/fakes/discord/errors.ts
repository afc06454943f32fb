/**
 * Discord's error bodies: `{message, code}` for most errors and, for 400 Invalid Form Body (50035),
 * a tree of `_errors` keyed by the path of each bad field.
 */

export interface DiscordErrorBody {
  message: string;
  code: number;
  errors?: ErrorTree;
}

export interface ErrorTree {
  [key: string]: ErrorTree | FieldError[];
}
export interface FieldError {
  code: string;
  message: string;
}

export class DiscordHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: DiscordErrorBody,
  ) {
    super(body.message);
  }
}

/** Collects field errors at paths like `['0', 'options', '2', 'name']`. */
export class FormErrors {
  readonly tree: ErrorTree = {};
  count = 0;

  add(path: readonly (string | number)[], code: string, message: string): void {
    let node: ErrorTree = this.tree;
    for (const key of path.map(String)) {
      const next = node[key];
      if (next === undefined || Array.isArray(next)) node[key] = {};
      node = node[key] as ErrorTree;
    }
    const list = node._errors;
    if (Array.isArray(list)) list.push({ code, message });
    else node._errors = [{ code, message }];
    this.count += 1;
  }

  throwIfAny(): void {
    if (this.count > 0) throw invalidFormBody(this.tree);
  }
}

export const invalidFormBody = (errors: ErrorTree) =>
  new DiscordHttpError(400, { message: 'Invalid Form Body', code: 50035, errors });

export const unauthorized = () => new DiscordHttpError(401, { message: '401: Unauthorized', code: 0 });
export const notFound = () => new DiscordHttpError(404, { message: '404: Not Found', code: 0 });
export const unknown = (what: 'Channel' | 'Guild' | 'Message' | 'Webhook' | 'Interaction' | 'Application' | 'User') => {
  const codes = {
    Channel: 10003,
    Guild: 10004,
    Message: 10008,
    Webhook: 10015,
    Interaction: 10062,
    Application: 10002,
    User: 10013,
  } as const;
  return new DiscordHttpError(404, {
    message: what === 'Interaction' ? 'Unknown interaction' : `Unknown ${what}`,
    code: codes[what],
  });
};
export const missingPermissions = () => new DiscordHttpError(403, { message: 'Missing Permissions', code: 50013 });
export const alreadyAcknowledged = () =>
  new DiscordHttpError(400, { message: 'Interaction has already been acknowledged.', code: 40060 });
