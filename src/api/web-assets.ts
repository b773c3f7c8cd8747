import { readFileSync, readdirSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The web view's files, served by the HTTP front at `/` and `/web/NAME`: the page and its
 * style from `web/static`, its ES modules as compiled from `web/src` into `dist/web/web/src`. Read
 * once when the front starts (a few tens of KiB); nothing in them is secret, so they are
 * served without the token, and the page asks for the token itself where the API needs one.
 */

export interface WebAsset {
  type: string;
  body: Buffer;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Only its own files: no inline script or style, no other origin, no frame around it. */
export const WEB_VIEW_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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
    if (type !== undefined) into.set(`/web/${name}`, { type, body: readFileSync(fileURLToPath(new URL(name, dir))) });
  }
}

/** Path to file; `/` is the page. Empty when the web view was not built (the API works without it). */
export function loadWebAssets(root: URL = ROOT): ReadonlyMap<string, WebAsset> {
  const assets = new Map<string, WebAsset>();
  readDir(new URL('web/static/', root), assets);
  // web/tsconfig.json compiles from the repository's root (the page uses the topology's types), hence web/src under dist/web.
  readDir(new URL('dist/web/web/src/', root), assets);
  const page = assets.get('/web/index.html');
  if (page !== undefined) assets.set('/', page);
  return assets;
}
