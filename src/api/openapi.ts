import type { RouteDoc } from './schemas.js';

/** The OpenAPI 3.0 document of the REST API, made from the routes' own schemas. */
export function openApiDocument(routes: readonly RouteDoc[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const r of routes) {
    const parameters = r.querystring
      ? Object.entries((r.querystring as { properties?: Record<string, unknown> }).properties ?? {}).map(([name, schema]) => ({
          name,
          in: 'query',
          required: ((r.querystring as { required?: string[] }).required ?? []).includes(name),
          schema,
        }))
      : [];
    const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([h, description]) => [h, { description, schema: { type: 'string' } }]));
    paths[r.url] = {
      [r.method.toLowerCase()]: {
        summary: r.summary,
        parameters,
        responses: {
          200: { description: 'OK', headers, content: { 'application/json': { schema: r.response } } },
          '4XX': { description: 'a bad request: `{"error": "..."}`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'svcswitch REST API', version: '0.1.0', description: 'Read-only view of the controller: topology, hosts, paths, switches.' },
    paths,
    components: { schemas: { Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } } } },
  };
}
