/** The browsable REST API (/api/docs): Swagger UI (swagger-ui-dist, served by the controller) over /api/openapi.json. */

declare const SwaggerUIBundle: (options: { url: string; dom_id: string; deepLinking: boolean; tryItOutEnabled: boolean }) => unknown;

SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true, tryItOutEnabled: false });
