import type { RouteDoc } from './schemas.js';

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
        summary: r.summary,
        parameters,
        ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
        responses: {
          [r.status ?? 200]: { description: 'OK', headers, content: { [r.text ?? 'application/json']: { schema: r.response } } },
          ...(r.unavailable ? { 503: { description: 'not ready: the problems in words', content: { 'application/json': { schema: r.unavailable } } } } : {}),
          '4XX': { description: 'a bad request: `{"error": "..."}`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'svcswitch REST API', version: '0.1.0', description: 'The controller: topology, hosts, paths, switches, traces; bindings and cross-subnet migrations.' },
    paths,
    components: { schemas: { Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } } } },
  };
}
