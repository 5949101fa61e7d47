// Bundles web/frontend/modeler/ into web/static/build/modeler.{js,css} (npm run build).
// `node web/frontend/build.mjs --dev` keeps it readable with source maps.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs/promises';

const here = path.dirname(fileURLToPath(import.meta.url));
const dev = process.argv.includes('--dev');

// bpmn-js-properties-panel ships its bpmn, Camunda and Zeebe providers in one file; their
// `Class.$inject = [...]` statements are side effects that keep the unused Camunda and Zeebe
// providers (~300 kB) in the bundle. Writing them as static class fields lets esbuild drop them.
const injectAsStaticField = {
  name: 'inject-as-static-field',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /bpmn-js-properties-panel[\\/]dist[\\/]index\.esm\.js$/ }, async (args) => {
      let source = await fs.readFile(args.path, 'utf8');
      const injects = [...source.matchAll(/^(\w+)\.\$inject = (\[[^\n\]]*\]);$/gm)];
      for (const [statement, name, list] of injects) {
        const head = `\nclass ${name} {\n`;
        if (!source.includes(head)) continue;
        source = source.replace(head, `\nclass ${name} {\n  static $inject = ${list};\n`).replace(`\n${statement}\n`, '\n');
      }
      return { contents: source, loader: 'js' };
    });
  },
};

const result = await build({
  plugins: [injectAsStaticField],
  entryPoints: { modeler: path.join(here, 'modeler', 'index.js') },
  outdir: path.join(here, '..', 'static', 'build'),
  bundle: true,
  format: 'iife',
  target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
  minify: !dev,
  sourcemap: dev ? 'linked' : false,
  legalComments: 'linked',
  metafile: true,
  define: { 'process.env.NODE_ENV': dev ? '"development"' : '"production"' },
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  assetNames: 'fonts/[name]-[hash]',
  logLevel: 'info',
});

const outputs = Object.entries(result.metafile.outputs).filter(([name]) => /\.(js|css)$/.test(name));
for (const [name, { bytes }] of outputs) console.log(`${path.relative(process.cwd(), name)}: ${(bytes / 1024).toFixed(0)} kB`);
