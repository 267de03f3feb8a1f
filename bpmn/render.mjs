#!/usr/bin/env node
// Render BPMN models to <name>.svg and <name>.png beside them, for the README.
//
// bpmn-js's viewer runs in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) on a page built from local files only. Before writing anything the script
// checks the layout as drawn: no two edges cross, no edge runs through a shape, and no label
// overlaps another label, a shape or an edge. Both pictures carry the SHA-256 of the model they
// show (an SVG <metadata> element, a PNG tEXt chunk), so tests/unit/test_bpmn_model.py can tell
// a stale picture from a current one.
//
// Usage: node bpmn/render.mjs [MODEL.bpmn ...]   (default: every *.bpmn in bpmn/;
//        CHROMIUM_PATH overrides /usr/bin/chromium)

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';

import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const BPMN_JS = join(HERE, 'node_modules', 'bpmn-js', 'dist');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Launch flags that keep Chromium quiet and offline in a container (CAMUNDA.md).
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];
const MARGIN = 24; // white space around the diagram in the PNG, in diagram pixels
const SCALE = 2; // device pixels per diagram pixel: sharp on high-density screens
const HASH_KEYWORD = 'bpmn-source-sha256';

class RenderError extends Error {}

function fail(message) {
  console.error(`render: ${message}`);
  process.exit(1);
}

/**
 * Runs inside the page: draw the model in #canvas cropped to the diagram plus `margin`, and
 * return its SVG, the crop box and any layout problems (import warnings count as problems).
 */
async function drawInPage({ xml, margin }) {
  const viewer = new window.BpmnJS({ container: '#canvas' });
  let warnings;
  try {
    ({ warnings } = await viewer.importXML(xml));
  } catch (error) {
    return { problems: [`the model does not import: ${error.message.split('\n')[0]}`] };
  }
  if (warnings.length > 0) {
    return { problems: warnings.map((warning) => `import: ${warning.message}`) };
  }
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');

  canvas.zoom(1);
  const inner = canvas.viewbox().inner;
  const box = {
    x: Math.floor(inner.x - margin),
    y: Math.floor(inner.y - margin),
    width: Math.ceil(inner.width + 2 * margin),
    height: Math.ceil(inner.height + 2 * margin),
  };
  const host = document.getElementById('canvas');
  host.style.width = `${box.width}px`;
  host.style.height = `${box.height}px`;
  canvas.resized();
  canvas.viewbox(box);

  // Layout check on what was drawn: rendered text boxes, shape bounds, edge segments. What
  // sits inside an expanded sub-process is checked against the sub-process's content, not
  // against the sub-process's own box (`within`: the ids of the containers around it).
  const within = (element) => {
    const ids = [];
    for (let parent = element.parent; parent && parent.parent; parent = parent.parent) {
      ids.push(parent.id);
    }
    return ids;
  };
  const texts = [];
  const shapes = [];
  const segments = [];
  for (const element of registry.getAll()) {
    if (element.type === 'label') {
      const text = registry.getGraphics(element).querySelector('text');
      if (text && text.textContent.trim()) {
        const b = text.getBBox();
        const [x, y] = [element.x + b.x, element.y + b.y]; // the text's box is label-relative
        const owner = element.labelTarget;
        texts.push({ owner: owner.id, within: within(owner), x, y, width: b.width, height: b.height });
      }
    } else if (element.waypoints) {
      element.waypoints.slice(1).forEach((end, i) => {
        const [from, to] = [element.source.id, element.target.id];
        segments.push({ id: element.id, from, to, within: within(element), a: element.waypoints[i], b: end });
      });
    } else if (element.parent) {
      const { id, x, y, width, height } = element;
      shapes.push({ id, host: element.host?.id, x, y, width, height });
    }
  }
  // Touching is fine (an edge ending on a shape's border); only proper overlaps count.
  const overlap = (p, q) =>
    p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height;
  const side = (o, p, q) => Math.sign((p.x - o.x) * (q.y - o.y) - (p.y - o.y) * (q.x - o.x));
  const segmentsCross = (s, t) =>
    side(s.a, s.b, t.a) * side(s.a, s.b, t.b) < 0 && side(t.a, t.b, s.a) * side(t.a, t.b, s.b) < 0;
  const segmentHitsBox = (s, r) => {
    const [left, top, right, bottom] = [r.x, r.y, r.x + r.width, r.y + r.height];
    const corners = [
      { x: left, y: top }, { x: right, y: top }, { x: right, y: bottom }, { x: left, y: bottom },
    ];
    const inside = (p) => p.x > left && p.x < right && p.y > top && p.y < bottom;
    const edges = corners.map((c, i) => ({ a: c, b: corners[(i + 1) % 4] }));
    return inside(s.a) || inside(s.b) || edges.some((e) => segmentsCross(s, e));
  };
  // An edge may touch its own ends (and a boundary event's host); it must pass every other shape.
  const ownEnd = (s, shape) => [shape.id, shape.host].some((id) => id === s.from || id === s.to);

  const problems = [];
  texts.forEach((t, i) => {
    for (const u of texts.slice(i + 1).filter((u) => overlap(t, u))) {
      problems.push(`label of ${t.owner} overlaps label of ${u.owner}`);
    }
    for (const s of shapes.filter((s) => !t.within.includes(s.id) && overlap(t, s))) {
      problems.push(`label of ${t.owner} overlaps ${s.id}`);
    }
    for (const s of segments.filter((s) => segmentHitsBox(s, t))) {
      problems.push(`label of ${t.owner} is crossed by ${s.id}`);
    }
  });
  segments.forEach((s, i) => {
    const hits = (shape) =>
      !ownEnd(s, shape) && !s.within.includes(shape.id) && segmentHitsBox(s, shape);
    for (const shape of shapes.filter(hits)) {
      problems.push(`${s.id} runs through ${shape.id}`);
    }
    for (const t of segments.slice(i + 1).filter((t) => t.id !== s.id && segmentsCross(s, t))) {
      problems.push(`${s.id} crosses ${t.id}`);
    }
  });

  const { svg } = await viewer.saveSVG();
  return { svg, box, problems: [...new Set(problems)] };
}

/**
 * The SVG with the model's hash in a <metadata> element right after the root's start tag, the
 * same margin as the PNG, and a white background (bpmn-js leaves it transparent, unreadable on
 * a dark page).
 */
function stampSvg(svg, sha256, margin) {
  const root = /<svg\b[^>]*>/.exec(svg);
  const viewBox = root && /\bviewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"/.exec(root[0]);
  if (!viewBox) throw new RenderError('bpmn-js returned SVG without a viewBox');
  const [x, y, width, height] = viewBox.slice(1).map(Number);
  const box = {
    x: x - margin, y: y - margin, width: width + 2 * margin, height: height + 2 * margin,
  };
  const start = root[0]
    .replace(/\bwidth="[^"]*"/, `width="${box.width}"`)
    .replace(/\bheight="[^"]*"/, `height="${box.height}"`)
    .replace(/\bviewBox="[^"]*"/, `viewBox="${box.x} ${box.y} ${box.width} ${box.height}"`);
  const metadata = `<metadata id="${HASH_KEYWORD}" data-sha256="${sha256}"/>`;
  const background =
    `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" fill="#fff"/>`;
  return svg.replace(root[0], `${start}${metadata}${background}`);
}

/** The PNG with a tEXt chunk `bpmn-source-sha256` inserted after IHDR (always the first chunk). */
function stampPng(png, sha256) {
  const ihdrEnd = 8 + 4 + 4 + 13 + 4; // signature, then IHDR's length, type, data, CRC
  const body = Buffer.from(`tEXt${HASH_KEYWORD}\0${sha256}`, 'latin1'); // chunk type + data
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length - 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([png.subarray(0, ihdrEnd), length, body, crc, png.subarray(ihdrEnd)]);
}

/** The models named on the command line, else every *.bpmn beside this script. */
async function models() {
  const named = process.argv.slice(2);
  if (named.length > 0) return named.map((path) => resolve(path));
  const files = (await readdir(HERE)).filter((name) => name.endsWith('.bpmn')).sort();
  return files.map((name) => join(HERE, name));
}

async function renderModel(page, model) {
  const bytes = await readFile(model);
  const sha256 = createHash('sha256').update(bytes).digest('hex'); // of the file, byte for byte
  const xml = bytes.toString('utf8');
  const stem = join(dirname(model), basename(model, '.bpmn'));

  await page.setContent(
    '<!doctype html><body style="margin:0;background:#fff"><div id="canvas"></div></body>',
  );
  for (const css of ['diagram-js.css', 'bpmn-js.css']) {
    await page.addStyleTag({ path: join(BPMN_JS, 'assets', css) });
  }
  await page.addScriptTag({ path: join(BPMN_JS, 'bpmn-viewer.production.min.js') });

  const { svg, box, problems } = await page.evaluate(drawInPage, { xml, margin: MARGIN });
  if (problems.length > 0) {
    throw new RenderError(`${basename(model)}: nothing written:\n  ${problems.join('\n  ')}`);
  }
  await page.setViewportSize({ width: box.width, height: box.height });
  const png = await page.locator('#canvas').screenshot({ omitBackground: false });
  await writeFile(`${stem}.svg`, stampSvg(svg, sha256, MARGIN));
  await writeFile(`${stem}.png`, stampPng(png, sha256));
  console.log(`render: wrote ${stem}.svg and .png (model sha256 ${sha256.slice(0, 12)})`);
}

async function render() {
  if (!existsSync(join(BPMN_JS, 'bpmn-viewer.production.min.js'))) {
    throw new RenderError('bpmn-js is not installed: run `make node` first');
  }
  if (!existsSync(CHROMIUM)) {
    throw new RenderError(
      `no Chromium at ${CHROMIUM}: run \`apt-get install -y chromium\` or set CHROMIUM_PATH`,
    );
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ deviceScaleFactor: SCALE });
    await page.route('**/*', (route) => route.abort()); // a local page: nothing may be fetched
    for (const model of await models()) {
      await renderModel(page, model);
    }
  } finally {
    await browser.close();
  }
}

render().catch((error) => fail(error instanceof RenderError ? error.message : error.stack));
