import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { repoRoot } from './demo-media.ts';

/**
 * The community OpenAPI description of the Plex API (LukeHagar/plex-api-spec, Apache-2.0), read from
 * ../shared/reference next to the repository (never copied into it) with spec-overlay.yaml applied,
 * and an AJV validator for the JSON schemas it holds, located by JSON Pointer. Reusable by any suite
 * that wants to check Plex answers or requests against the spec.
 */

export const plexSpecFile = path.resolve(repoRoot, '../shared/reference/plex-api-spec.yaml');
const overlayFile = new URL('./spec-overlay.yaml', import.meta.url);
const SPEC_ID = 'https://plex-api-spec.invalid/plex-api-spec.json';

type Json = unknown;
interface OverlayOp {
  op: 'add' | 'replace' | 'remove' | 'copy';
  path: string;
  from?: string;
  value?: Json;
}

/** The spec with the overlay applied, or `undefined` when ../shared/reference is absent (as in a user's clone). */
export function loadPlexSpec(): Record<string, Json> | undefined {
  return loadWithOverlay(plexSpecFile, overlayFile);
}

/**
 * Plex's own OpenAPI description of the Media Server (plex-pms-openapi.json, 1.2.2, published with
 * the September 2025 API), with pms-openapi-overlay.yaml: the differences between it and what the
 * fake (and Plex servers) answer, each with its reason. `undefined` when ../shared/reference is absent.
 */
export const officialSpecFile = path.resolve(repoRoot, '../shared/reference/plex-pms-openapi.json');
export function loadOfficialPlexSpec(): Record<string, Json> | undefined {
  return loadWithOverlay(officialSpecFile, new URL('./pms-openapi-overlay.yaml', import.meta.url));
}

function loadWithOverlay(file: string, overlay: URL): Record<string, Json> | undefined {
  if (!existsSync(file)) return undefined;
  const spec = parse(readFileSync(file, 'utf8')) as Record<string, Json>;
  for (const op of (parse(readFileSync(overlay, 'utf8')) as OverlayOp[] | null) ?? []) applyOp(spec, op);
  return spec;
}

export const SPEC_MISSING_NOTICE = `\n${'!'.repeat(78)}\n  SKIPPING the Plex API spec validation: ${plexSpecFile} is absent.\n  (It lives outside the repository in ../shared/reference; CI has it.)\n${'!'.repeat(78)}\n`;

const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');
export const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const split = (pointer: string) => (pointer === '' ? [] : pointer.replace(/^\//, '').split('/').map(unescapePointer));

function applyOp(doc: Record<string, Json>, op: OverlayOp): void {
  const segments = split(op.path);
  const last = segments.pop();
  if (last === undefined) throw new Error(`overlay: empty path in ${JSON.stringify(op)}`);
  const parent = walk(doc, segments, op.op !== 'remove') as Record<string, Json> | Json[];
  const value = op.op === 'copy' ? structuredClone(get(doc, op.from ?? '')) : op.value;
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (op.op === 'remove') parent.splice(i, 1);
    else if (op.op === 'replace') parent[i] = value;
    else parent.splice(i, 0, value);
    return;
  }
  if (op.op === 'remove') delete parent[last];
  else {
    if (op.op === 'replace' && !(last in parent)) throw new Error(`overlay: nothing to replace at ${op.path}`);
    if (op.op !== 'replace' && op.op !== 'copy' && last in parent) {
      throw new Error(`overlay: ${op.path} already exists in the spec (the gap may be fixed: drop the entry)`);
    }
    parent[last] = value;
  }
}

function walk(doc: Json, segments: string[], mustExist: boolean): Json {
  let node = doc as Record<string, Json>;
  for (const s of segments) {
    const next = node[s];
    if (next === undefined || next === null || typeof next !== 'object') {
      if (mustExist) throw new Error(`overlay: /${segments.join('/')} not found in the spec`);
    }
    node = next as Record<string, Json>;
  }
  return node;
}

function get(doc: Json, pointer: string): Json {
  return walk(doc, split(pointer), true);
}

/** Follows a pointer through the document, resolving local `$ref`s on the way; returns the final pointer. */
function resolvePointer(doc: Json, segments: string[]): string {
  let pointer = '';
  let node = doc as Record<string, Json>;
  const deref = () => {
    while (node && typeof node === 'object' && typeof node.$ref === 'string' && node.$ref.startsWith('#')) {
      pointer = node.$ref.slice(1);
      node = get(doc, pointer) as Record<string, Json>;
    }
  };
  for (const s of segments) {
    deref();
    if (!node || typeof node !== 'object' || !(s in node)) {
      throw new Error(`spec: nothing at ${pointer}/${escapePointer(s)}`);
    }
    node = node[s] as Record<string, Json>;
    pointer += `/${escapePointer(s)}`;
  }
  deref();
  return pointer;
}

export interface SpecValidator {
  /**
   * Validates `body` against the schema of the response `status` of `method pathTemplate`
   * (e.g. 'get', '/library/sections/{sectionId}/all'). Returns the AJV errors, or [] when valid.
   */
  response(
    method: string,
    pathTemplate: string,
    status: number | string,
    body: Json,
    contentType?: string,
  ): ErrorObject[];
  /** Validates against any schema named by a JSON Pointer into the spec. */
  pointer(pointer: string, data: Json): ErrorObject[];
  /** The query/header/path parameters the spec documents for an operation (their names). */
  parameterNames(method: string, pathTemplate: string): string[];
}

const isInt = (min: number, max: number) => (n: number) => Number.isInteger(n) && n >= min && n <= max;

export function createSpecValidator(spec: Record<string, Json>): SpecValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
  ajv.addFormat('int32', { type: 'number', validate: isInt(-(2 ** 31), 2 ** 31 - 1) });
  ajv.addFormat('int64', { type: 'number', validate: isInt(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) });
  ajv.addFormat('float', { type: 'number', validate: Number.isFinite });
  ajv.addFormat('double', { type: 'number', validate: Number.isFinite });
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
  ajv.addFormat(
    'date-time',
    (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(s) && !Number.isNaN(Date.parse(s)),
  );
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/);
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('binary', true);
  ajv.addSchema({ ...spec, $id: SPEC_ID });

  const pointer = (ptr: string, data: Json): ErrorObject[] => {
    const validate = ajv.getSchema(`${SPEC_ID}#${ptr}`);
    if (!validate) throw new Error(`spec: no schema at ${ptr}`);
    return validate(data) ? [] : [...(validate.errors ?? [])];
  };

  return {
    pointer,
    response(method, pathTemplate, status, body, contentType = 'application/json') {
      const ptr = resolvePointer(spec, [
        'paths',
        pathTemplate,
        method.toLowerCase(),
        'responses',
        String(status),
        'content',
        contentType,
        'schema',
      ]);
      return pointer(ptr, body);
    },
    parameterNames(method, pathTemplate) {
      const op = get(spec, `/paths/${escapePointer(pathTemplate)}/${method.toLowerCase()}`) as {
        parameters?: Json[];
      };
      return (op.parameters ?? []).map((p) => {
        const ref = (p as { $ref?: string }).$ref;
        const param = (ref ? get(spec, ref.slice(1)) : p) as { name: string };
        return param.name;
      });
    },
  };
}
