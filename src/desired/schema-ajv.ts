/**
 * The one ajv set-up for netd's JSON schema: compiled at build time into standalone code
 * (`npm run build` writes dist/src/desired/netd-schema.cjs, see standaloneSchema), so that a
 * run loads neither ajv's compiler nor the schema; compiled at run time only when that file is
 * missing (a bare `tsc` build). ajv is CommonJS, required on demand: importing this is free.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { packagePath } from '../paths.js';
import type { ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);
const SCHEMA_PATH = packagePath('schemas/netd.schema.json');
/** Where the build writes the standalone validator. */
export const COMPILED_SCHEMA = packagePath('dist/src/desired/netd-schema.cjs');

function schemaAjv(standalone: boolean): Ajv2020 {
  const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const addFormats = require('ajv-formats') as (a: Ajv2020) => void;
  const ajv = new Ajv({ allErrors: true, strict: true, verbose: true, ...(standalone ? { code: { source: true } } : {}) });
  addFormats(ajv);
  // Address and CIDR formats are for editors (yaml-language-server checks them as you type);
  // here the semantic checks give the precise message ("host bits set", "not in the subnet").
  for (const f of ['ipv4', 'ipv6', 'ipv4-cidr', 'ipv6-cidr']) ajv.addFormat(f, true);
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' }); // annotation: our message for this node
  return ajv;
}

const schema = (): object => JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object;

/** The validator: the build's standalone code, else compiled now. */
export function loadValidator(): ValidateFunction {
  try {
    return require(COMPILED_SCHEMA) as ValidateFunction;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    return schemaAjv(false).compile(schema());
  }
}

/** Writes the standalone validator (a CommonJS module) to `to`; run by `npm run build`. */
export function writeStandaloneSchema(to: string = COMPILED_SCHEMA): void {
  const ajv = schemaAjv(true);
  const standaloneCode = (require('ajv/dist/standalone/index.js') as { default: (a: Ajv2020, v: ValidateFunction) => string }).default;
  writeFileSync(to, standaloneCode(ajv, ajv.compile(schema())));
}
