/**
 * The monolith's build for EC2: its compiled code and every dependency
 * bundled by esbuild into one JavaScript file that `node` runs, as an
 * instance downloads it. Made at synth from the compiled workspace (the
 * images build from the same sources); esbuild is the bundler most Node.js
 * tools use, and one file needs no `npm install` on the instance.
 */
import { buildSync } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Bundles `services/<service>/dist/main.js` into `<outDir>/<service>.js`; returns that path. */
export function bundleService(rootDir: string, service: string, outDir: string): string {
  const entry = join(rootDir, 'services', service, 'dist', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build the services first (npm run build)`);
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${service}.js`);
  // The same Node.js line the instances install (nodejs22); no minification, so stack traces stay readable.
  buildSync({ absWorkingDir: rootDir, entryPoints: [entry], outfile, bundle: true, platform: 'node', target: 'node22', format: 'cjs', logLevel: 'error', legalComments: 'none' });
  return outfile;
}
