import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The web view's files, served by the HTTP front at `/` and `/web/NAME`, and the browsable
 * REST API at `/api/docs` (Swagger UI from swagger-ui-dist): the pages and their style from `web/static`, its ES modules as compiled from `web/src` into `dist/web/web/src`. Read
 * once when the front starts (a few tens of KiB); nothing in them is secret, so they are
 * served without the token, and the page asks for the token itself where the API needs one.
 */

export interface WebAsset {
  type: string;
  body: Buffer;
  /** Its Content-Security-Policy. */
  policy: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Only its own files: no inline script or style, no other origin, no frame around it. */
const WEB_VIEW_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** Swagger UI sets style attributes as it draws: inline styles (never scripts) are allowed on its page. */
const API_DOCS_POLICY = WEB_VIEW_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");
/** What the browsable API needs of swagger-ui-dist. */
const SWAGGER_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js'];

/** The repository's root, from this file's place in dist/src/api. */
const ROOT = new URL('../../../', import.meta.url);

function readDir(dir: URL, into: Map<string, WebAsset>): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type !== undefined) into.set(`/web/${name}`, { type, body: readFileSync(fileURLToPath(new URL(name, dir))), policy: WEB_VIEW_POLICY });
  }
}

/** Path to file; `/` is the page. Empty when the web view was not built (the API works without it). */
export function loadWebAssets(root: URL = ROOT): ReadonlyMap<string, WebAsset> {
  const assets = new Map<string, WebAsset>();
  readDir(new URL('web/static/', root), assets);
  // web/tsconfig.json compiles from the repository's root (the page uses the topology's types), hence web/src under dist/web.
  readDir(new URL('dist/web/web/src/', root), assets);
  const swagger = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  for (const name of SWAGGER_FILES) assets.set(`/web/${name}`, { type: TYPES[extname(name)]!, body: readFileSync(join(swagger, name)), policy: WEB_VIEW_POLICY });
  const page = assets.get('/web/index.html');
  if (page !== undefined) assets.set('/', page);
  const docs = assets.get('/web/api-docs.html');
  if (docs !== undefined) assets.set('/api/docs', { ...docs, policy: API_DOCS_POLICY });
  return assets;
}
