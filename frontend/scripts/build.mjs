// Build the committed static assets: static/app.css, static/api-explorer.css,
// static/images/ and static/vendor/swagger-ui/.
//
//   node scripts/build.mjs            -> writes into frontend/static/
//   node scripts/build.mjs <outDir>   -> writes into <outDir> (used by check-build)
//
// Everything else in static/ is hand-written and is NOT touched by the build;
// such files are listed in HAND_WRITTEN below so check-build does not report
// them as stale (static/api-docs.js, the Swagger UI initialiser loaded by the
// /api/docs/explorer page, and static/bid-form.js).
//
// - Compiles scss/app.scss (GOV.UK Frontend v5) with dart-sass, compressed,
//   no source map.
// - Compiles scss/api-explorer.scss the same way into api-explorer.css: the
//   explorer's fixes to Swagger UI's colours and target sizes (it uses GOV.UK
//   Frontend's colour settings only, so it outputs none of its CSS).
// - Ships NO GOV.UK image. Every file in govuk-frontend's dist/govuk/assets/
//   images/ (favicon.ico, favicon.svg, govuk-icon-*.png, govuk-icon-mask.svg,
//   govuk-opengraph-image.png, govuk-crest.svg) shows the Royal Crown, which
//   only GOV.UK services may use. Neutral favicons are generated instead,
//   under the same favicon file names, so templates can link
//   /static/images/favicon.svg, /static/images/favicon.ico and
//   /static/images/icon-180.png (apple-touch-icon).
// - Ships no fonts (GDS Transport is restricted to GOV.UK).
// - Fails if the result contains GDS Transport, @font-face or a crown file.
// - Vendors Swagger UI for the /api/docs page (the app has no CDN access):
//   copies swagger-ui-bundle.js and swagger-ui.css, plus the licence files
//   (LICENSE, NOTICE, swagger-ui-bundle.js.LICENSE.txt) when present, from
//   node_modules/swagger-ui-dist/ into vendor/swagger-ui/. Any trailing
//   `//# sourceMappingURL=` / `/*# sourceMappingURL=... */` line is stripped,
//   because the .map files are not shipped.
import { existsSync, mkdirSync, rmSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import * as sass from 'sass';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Files in static/ that are written by hand, not by this build. check-build
// ignores them (it only compares generated files). Paths are relative to
// static/ and use '/'.
export const HAND_WRITTEN = ['api-docs.js', 'app.js', 'bid-form.js'];

const SWAGGER_UI_DIST = join(root, 'node_modules', 'swagger-ui-dist');
const SWAGGER_UI_ASSETS = ['swagger-ui-bundle.js', 'swagger-ui.css'];
const SWAGGER_UI_LICENCES = ['LICENSE', 'NOTICE', 'swagger-ui-bundle.js.LICENSE.txt'];

export function build(outDir = join(root, 'static'), { quiet = false } = {}) {
  const log = quiet ? () => {} : (...a) => console.log(...a);

  // The footer's "Crown copyright" logo is the only image the GOV.UK CSS
  // refers to; it is the crest, which is not shipped. Drop the reference so
  // no crown is ever requested (scss/app.scss also hides that logo).
  const css = compileScss('app.scss').replaceAll('url("/static/images/govuk-crest.svg")', 'none');
  const explorerCss = compileScss('api-explorer.scss');

  const problems = [];
  if (/GDS Transport/i.test(css)) problems.push('app.css mentions "GDS Transport"');
  if (/@font-face/i.test(css)) problems.push('app.css contains @font-face');
  if (/\.woff2?\b/i.test(css)) problems.push('app.css references a web font file');
  if (/crest|crown/i.test(css.replace(/govuk-footer__crown/g, ''))) problems.push('app.css references a crown image');

  if (/@font-face|url\(/i.test(explorerCss)) problems.push('api-explorer.css loads a font or an image');

  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'app.css'), css);
  writeFileSync(join(outDir, 'api-explorer.css'), explorerCss);

  const images = join(outDir, 'images');
  rmSync(images, { recursive: true, force: true });
  mkdirSync(images, { recursive: true });
  writeFileSync(join(images, 'favicon.svg'), faviconSvg());
  writeFileSync(join(images, 'favicon.ico'), ico(png(32)));
  writeFileSync(join(images, 'icon-180.png'), png(180));

  const swagger = vendorSwaggerUi(join(outDir, 'vendor', 'swagger-ui'), problems);
  const govukJs = vendorGovukFrontendJs(join(outDir, 'vendor', 'govuk-frontend'), problems);

  for (const f of readdirSync(outDir, { recursive: true })) {
    if (/crest|crown|govuk-icon|opengraph/i.test(String(f))) problems.push(`crown image shipped: ${f}`);
    if (/\.(woff2?|ttf|otf|eot)$/i.test(String(f))) problems.push(`font shipped: ${f}`);
  }
  if (problems.length) {
    throw new Error(`build checks failed:\n  ${problems.join('\n  ')}`);
  }
  log(`wrote ${join(outDir, 'app.css')} (${css.length} bytes) and ${images}/{favicon.svg,favicon.ico,icon-180.png}`);
  log(`wrote ${join(outDir, 'api-explorer.css')} (${explorerCss.length} bytes)`);
  log(`wrote ${swagger.dir}/{${swagger.files.join(',')}} (swagger-ui-dist ${swagger.version})`);
  log(`wrote ${govukJs.dir}/govuk-frontend.min.js (govuk-frontend ${govukJs.version})`);
  return { css };
}

// Compile one stylesheet of scss/ (GOV.UK Frontend resolved from node_modules),
// compressed, without a source map, ending in one newline.
function compileScss(name) {
  const result = sass.compile(join(root, 'scss', name), {
    loadPaths: [join(root, 'node_modules')],
    style: 'compressed',
    sourceMap: false,
    // govuk-frontend v5 uses @import and global functions internally; those
    // deprecation warnings are its own, not ours.
    quietDeps: true,
  });
  return result.css.trimEnd() + '\n';
}

// Copy the Swagger UI browser bundle and stylesheet (and licence files) from
// node_modules/swagger-ui-dist/ into `dir`, which is recreated from scratch.
function vendorSwaggerUi(dir, problems) {
  if (!existsSync(join(SWAGGER_UI_DIST, 'package.json'))) {
    throw new Error('node_modules/swagger-ui-dist is missing; run `npm ci` in frontend/');
  }
  const { version } = JSON.parse(readFileSync(join(SWAGGER_UI_DIST, 'package.json'), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = [];
  for (const name of SWAGGER_UI_ASSETS) {
    const text = stripSourceMap(readFileSync(join(SWAGGER_UI_DIST, name), 'utf8'));
    if (/^[ \t]*(\/\/|\/\*)[#@][ \t]*sourceMappingURL=/m.test(text)) problems.push(`vendor/swagger-ui/${name} still references a source map`);
    writeFileSync(join(dir, name), text);
    files.push(name);
  }
  for (const name of SWAGGER_UI_LICENCES) {
    const src = join(SWAGGER_UI_DIST, name);
    if (!existsSync(src)) continue;
    writeFileSync(join(dir, name), readFileSync(src));
    files.push(name);
  }
  return { dir, files, version };
}

// Copy GOV.UK Frontend's component scripts (an ES module, started by static/app.js) into `dir`, recreated from scratch: the Menu button of the service
// navigation, conditional reveals, error summaries that take focus.
function vendorGovukFrontendJs(dir, problems) {
  const dist = join(root, 'node_modules', 'govuk-frontend');
  if (!existsSync(join(dist, 'package.json'))) {
    throw new Error('node_modules/govuk-frontend is missing; run `npm ci` in frontend/');
  }
  const { version } = JSON.parse(readFileSync(join(dist, 'package.json'), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // The minified file ends its last line with the source map's address (not shipped).
  const text = readFileSync(join(dist, 'dist', 'govuk', 'govuk-frontend.min.js'), 'utf8')
    .replace(/\/\/# sourceMappingURL=\S+\s*$/, '\n');
  if (/sourceMappingURL=/.test(text)) problems.push('vendor/govuk-frontend still references a source map');
  writeFileSync(join(dir, 'govuk-frontend.min.js'), `// GOV.UK Frontend ${version}, MIT licence (https://github.com/alphagov/govuk-frontend)\n${text}`);
  return { dir, version };
}

// Remove `//# sourceMappingURL=...` and `/*# sourceMappingURL=... */` lines
// (also the legacy `@` form). Only whole lines are removed, so the string
// "sourceMappingURL" inside code is left alone.
function stripSourceMap(text) {
  return text
    .replace(/^[ \t]*\/\/[#@][ \t]*sourceMappingURL=[^\r\n]*(\r?\n|$)/gm, '')
    .replace(/^[ \t]*\/\*[#@][ \t]*sourceMappingURL=[^\r\n]*?\*\/[ \t]*(\r?\n|$)/gm, '');
}

// ---------------------------------------------------------------------------
// Neutral favicon: GOV.UK black (#0b0c0c) square with a white ring.
// Drawn the same way in SVG and in the rasterised PNG/ICO.
// ---------------------------------------------------------------------------
const BG = [0x0b, 0x0c, 0x0c];
const FG = [0xff, 0xff, 0xff];
const RING_OUTER = 0.34; // radius as a fraction of the side
const RING_INNER = 0.2;

function faviconSvg() {
  const o = RING_OUTER * 32;
  const i = RING_INNER * 32;
  const mid = (o + i) / 2;
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
    '<path fill="#0b0c0c" d="M0 0h32v32H0z"/>' +
    `<circle cx="16" cy="16" r="${mid}" fill="none" stroke="#fff" stroke-width="${o - i}"/>` +
    '</svg>\n'
  );
}

function png(size) {
  const ss = 4; // 4x4 supersampling for smooth edges
  const raw = Buffer.alloc((size * 4 + 1) * size);
  let p = 0;
  for (let y = 0; y < size; y++) {
    raw[p++] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      let hit = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const dx = (x + (sx + 0.5) / ss) / size - 0.5;
          const dy = (y + (sy + 0.5) / ss) / size - 0.5;
          const d = Math.hypot(dx, dy);
          if (d <= RING_OUTER && d >= RING_INNER) hit++;
        }
      }
      const a = hit / (ss * ss);
      for (let c = 0; c < 3; c++) raw[p++] = Math.round(BG[c] * (1 - a) + FG[c] * a);
      raw[p++] = 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

let crcTable;
function crc32(buf) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ICO container holding one PNG image (supported by all current browsers).
function ico(pngBuf) {
  const size = pngBuf.readUInt32BE(16);
  const header = Buffer.alloc(6 + 16);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(1, 4); // count
  header[6] = size >= 256 ? 0 : size; // width
  header[7] = size >= 256 ? 0 : size; // height
  header[8] = 0; // palette
  header[9] = 0; // reserved
  header.writeUInt16LE(1, 10); // planes
  header.writeUInt16LE(32, 12); // bits per pixel
  header.writeUInt32LE(pngBuf.length, 14);
  header.writeUInt32LE(22, 18); // offset
  return Buffer.concat([header, pngBuf]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    build(process.argv[2] ? resolve(process.argv[2]) : undefined);
  } catch (e) {
    console.error(e.message ?? e);
    process.exit(1);
  }
}
