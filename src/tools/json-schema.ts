/**
 * A tool input checked against a JSON Schema that someone else wrote (an MCP server's), by Ajv, as a zod schema, so
 * the planner checks it exactly like a native tool's input. Sandbox-safe: Ajv compiles each schema to a function,
 * which the workflow sandbox allows, and compiling is deterministic; each schema is compiled once per worker.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { z } from 'zod';

type Dialect = 'draft-07' | '2019-09' | '2020-12';

const options = { allErrors: true, strict: false, validateSchema: false } as const;
const validators: Record<Dialect, () => Ajv> = {
  'draft-07': () => addFormats(new Ajv(options)),
  '2019-09': () => addFormats(new Ajv2019(options)),
  '2020-12': () => addFormats(new Ajv2020(options)),
};
const instances = new Map<Dialect, Ajv>();
const compiled = new Map<string, ValidateFunction | string>();

/** The dialect a schema declares; MCP's default is 2020-12, and older drafts validate as draft-07. */
function dialectOf(schema: Record<string, unknown>): Dialect {
  const declared = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (declared.includes('2019-09')) return '2019-09';
  if (/draft-0[4-7]/.test(declared)) return 'draft-07';
  return '2020-12';
}

/** The compiled check of `schema`, or why it cannot be compiled (a schema that is not valid JSON Schema). */
function validatorFor(schema: Record<string, unknown>, key: string): ValidateFunction | string {
  const known = compiled.get(key);
  if (known) return known;
  const dialect = dialectOf(schema);
  let ajv = instances.get(dialect);
  if (!ajv) instances.set(dialect, (ajv = validators[dialect]()));
  const { $schema: _declared, $id: _id, ...body } = schema;
  let validator: ValidateFunction | string;
  try {
    validator = ajv.compile(body);
  } catch (err) {
    validator = `the server's input schema cannot be compiled: ${(err as Error).message}`.slice(0, 300);
  }
  compiled.set(key, validator);
  return validator;
}

/** Ajv's errors as zod issues: the path of the instance, and what is wrong there. */
function issuesOf(errors: readonly ErrorObject[]): Array<{ path: string[]; message: string }> {
  return errors.map((error) => {
    const path = error.instancePath
      .split('/')
      .slice(1)
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
    const missing = error.keyword === 'required' ? (error.params as { missingProperty?: string }).missingProperty : undefined;
    const extra = error.keyword === 'additionalProperties' ? (error.params as { additionalProperty?: string }).additionalProperty : undefined;
    const message = `${error.message ?? 'is invalid'}${extra ? ` (${extra})` : ''}`;
    return { path: missing ? [...path, missing] : path, message };
  });
}

/**
 * A zod schema that accepts exactly what `schema` accepts. `key` names the schema in the compile cache (its hash).
 * A schema that cannot be compiled refuses every input, with the reason: a broken server never gets a call.
 */
export function jsonSchemaInput(schema: Record<string, unknown>, key: string): z.ZodType<Record<string, unknown>> {
  return z.custom<Record<string, unknown>>().superRefine((value, ctx) => {
    const validate = validatorFor(schema, key);
    if (typeof validate === 'string') {
      ctx.addIssue({ code: 'custom', message: validate });
      return;
    }
    if (validate(value)) return;
    for (const issue of issuesOf(validate.errors ?? [])) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });
}
