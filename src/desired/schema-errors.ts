/**
 * JSON Schema validation of one document with ajv, its errors mapped back to YAML positions
 * and rewritten for people: unknown fields list what is allowed and suggest the closest.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { loadValidator } from './schema-ajv.js';
import { errorAt, type LoadedDoc } from './source.js';
import type { PathSeg, SpecError } from './spec-error.js';
import { didYouMean } from './suggest.js';

let compiled: ValidateFunction | undefined;

const validator = (): ValidateFunction => (compiled ??= loadValidator());

export const pointerToPath = (ptr: string): PathSeg[] =>
  ptr === ''
    ? []
    : ptr
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));

const typeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v)}`;

function message(e: ErrorObject): string {
  const own = (e.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const name = String(p.additionalProperty);
      return `unknown field "${name}"${didYouMean(name, allowed)}; allowed: ${allowed.join(', ')}`;
    }
    case 'required':
      return `missing required field "${String(p.missingProperty)}"`;
    case 'type':
      return `must be ${p.type === 'object' ? 'a mapping' : p.type === 'array' ? 'a list' : `a${p.type === 'integer' ? 'n' : ''} ${String(p.type)}`}, not ${typeName(e.data)}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => String(v)).join(', ')}, not ${JSON.stringify(e.data)}`;
    case 'minimum':
    case 'maximum':
      return `${String(e.data)} is out of range ${rangeOf(e.parentSchema)}`;
    case 'format':
      return `"${String(e.data)}" is not a valid ${String(p.format)}`;
    default:
      return own ?? e.message ?? e.keyword;
  }
}

function rangeOf(s: unknown): string {
  const { minimum, maximum } = s as { minimum?: number; maximum?: number };
  return maximum === undefined ? `(at least ${minimum})` : `${minimum ?? '-∞'}-${maximum}`;
}

function toSpecError(src: LoadedDoc, e: ErrorObject): SpecError {
  const path = pointerToPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const o = { src, path: [] };
  if (e.keyword === 'additionalProperties') return errorAt(o, [...path, String(p.additionalProperty)], message(e), 'key');
  if (e.propertyName !== undefined) return errorAt(o, [...path, e.propertyName], message(e), 'key');
  return errorAt(o, path, message(e));
}

/** ajv's errors for a value; propertyNames wrappers dropped (their inner error says more). */
export function schemaCheck(value: unknown): ErrorObject[] {
  const validate = validator();
  return validate(value) ? [] : (validate.errors ?? []).filter((e) => e.keyword !== 'propertyNames');
}

/** The errors of one document, each once, for people. */
export function schemaErrors(src: LoadedDoc, errors: readonly ErrorObject[] = schemaCheck(src.value)): SpecError[] {
  const seen = new Set<string>();
  const out: SpecError[] = [];
  for (const e of errors) {
    const se = toSpecError(src, e);
    const k = `${se.line}:${se.column}:${se.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(se);
  }
  return out;
}
