import type { RouteDoc } from './schemas.js';

/** The tag of a route: its resource (`/api/migrations/:id/complete` is a migrations route). */
const tagOf = (url: string): string => (url === '/metrics' ? 'metrics' : (url.split('/')[2] ?? 'api').replace('.json', ''));

/** A name for each operation: its method and resource words (GET /api/migrations/:id is getMigrationsById). */
function operationId(r: RouteDoc): string {
  const words = r.url.split('/').filter((w) => w !== '' && w !== 'api').map((w) => (w.startsWith(':') ? `by-${w.slice(1)}` : w.replace('.json', '')));
  const camel = words.join('-').split(/[-_]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return `${r.method.toLowerCase()}${camel}`;
}

/** The OpenAPI 3.1 document of the REST API, made from the routes' own schemas (TypeBox writes JSON Schema 2020-12, which 3.1 takes as it is). */
export function openApiDocument(routes: readonly RouteDoc[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const r of routes) {
    const params = (s: unknown, where: 'query' | 'path') =>
      Object.entries((s as { properties?: Record<string, unknown> }).properties ?? {}).map(([name, schema]) => ({
        name,
        in: where,
        required: where === 'path' || ((s as { required?: string[] }).required ?? []).includes(name),
        schema,
      }));
    const parameters = [...(r.params ? params(r.params, 'path') : []), ...(r.querystring ? params(r.querystring, 'query') : [])];
    const url = r.url.replace(/:(\w+)/g, '{$1}');
    const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([h, description]) => [h, { description, schema: { type: 'string' } }]));
    paths[url] = {
      ...(paths[url] as Record<string, unknown> | undefined),
      [r.method.toLowerCase()]: {
        operationId: operationId(r),
        tags: [tagOf(r.url)],
        summary: r.summary,
        // Reads are open on loopback; everything else needs the token (docs/security.md). Liveness and readiness never do.
        ...(r.open ? { security: [] } : {}),
        parameters,
        ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
        responses: {
          [r.status ?? 200]: { description: 'OK', headers, content: { [r.text ?? 'application/json']: { schema: r.response } } },
          ...(r.unavailable ? { 503: { description: 'not ready: the problems in words', content: { 'application/json': { schema: r.unavailable } } } } : {}),
          ...(r.open ? {} : { 401: { description: 'no token, or not the right one (with --api-token-file: every change, and reads off loopback)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } }),
          ...(r.method === 'POST' && r.url === '/api/migrations' ? { 503: { description: 'rolled back: a switch did not confirm its tables (named), or the state could not be saved', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } } : {}),
          '4XX': { description: 'a bad request: `{"error": "..."}`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'svcswitch REST API', version: '0.1.0', description: 'The controller: topology, hosts, paths, switches, traces; bindings and cross-subnet migrations.' },
    paths,
    components: {
      schemas: { Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } } },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the controller\'s --api-token-file' } },
    },
    security: [{ bearer: [] }],
  };
}
