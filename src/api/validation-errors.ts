/**
 * A request that does not fit its route's schema, said in the operator's words: the field,
 * the value sent and what it should be, never the validator's internals (a regular
 * expression, "must be equal to constant" once per allowed value, "additional properties"
 * without their name). Made from ajv's errors with `verbose` (each carries its value and
 * schema); one sentence per field, in order.
 */

/** An ajv error as fastify hands it over (verbose: the value and the schema come with it). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
  parentSchema?: { description?: string; anyOf?: Array<{ const?: unknown }>; properties?: Record<string, unknown>; minimum?: number; maximum?: number };
}

const WHERE: Record<string, string> = { body: 'the body', querystring: 'the query', params: 'the path', headers: 'the headers' };

const shown = (v: unknown): string => {
  const s = typeof v === 'string' ? `"${v}"` : JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

function sentence(e: SchemaError, field: string): string {
  const p = e.params;
  const schema = e.parentSchema ?? {};
  switch (e.keyword) {
    case 'required':
      return `${field === '' ? '' : `${field}.`}${String(p.missingProperty)} is required`;
    case 'additionalProperties': {
      const known = Object.keys(schema.properties ?? {});
      return `unknown field ${shown(p.additionalProperty)}${field === '' ? '' : ` in ${field}`}${known.length > 0 ? ` (expected ${known.join(', ')})` : ''}`;
    }
    case 'anyOf': {
      const choices = (schema.anyOf ?? []).map((s) => s.const);
      if (choices.length > 0 && choices.every((c) => c !== undefined)) return `${field}: ${shown(e.data)} is not one of ${choices.join(', ')}`;
      return `${field}: ${shown(e.data)} is not ${/^an? /.test(schema.description ?? '') ? schema.description : 'an allowed value'}`;
    }
    case 'pattern':
    case 'format':
      // A description that is a noun phrase ("an IPv4 address ...") says what the value should be.
      return `${field}: ${shown(e.data)} is not ${/^an? /.test(schema.description ?? '') ? schema.description : 'in the expected form'}`;
    case 'type':
      return `${field}: ${shown(e.data)} is not ${p.type === 'integer' ? 'a whole number' : p.type === 'object' ? 'an object' : `a ${String(p.type)}`}`;
    case 'minimum':
    case 'exclusiveMinimum':
      return `${field}: ${shown(e.data)} is less than ${String(p.limit)}, the least allowed`;
    case 'maximum':
    case 'exclusiveMaximum':
      return `${field}: ${shown(e.data)} is more than ${String(p.limit)}, the most allowed`;
    case 'minLength':
      return `${field}: ${shown(e.data)} is shorter than ${String(p.limit)} characters`;
    case 'maxLength':
      return `${field}: ${shown(e.data)} is longer than ${String(p.limit)} characters`;
    default:
      return `${field}: ${shown(e.data)} ${e.message ?? 'is not valid'}`;
  }
}

/** One message for a request's schema errors; `dataVar` is where they are (body, querystring, params). */
export function describeValidation(errors: readonly SchemaError[], dataVar: string): string {
  // A union of constants fails once per constant, then once as a whole: only the whole is said.
  const unions = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const said: string[] = [];
  for (const e of errors) {
    if (unions.has(e.instancePath) && e.keyword !== 'anyOf') continue;
    const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const s = sentence(e, field);
    if (!said.includes(s)) said.push(s);
  }
  return `${WHERE[dataVar] ?? dataVar}: ${said.join('; ')}`;
}
