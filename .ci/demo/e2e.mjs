// Drives the demo page at BASE_URL in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core from $DEMO_TOOLS) and checks it against what the server's native API reports,
// so nothing here depends on the served model's tasks, labels or input size.
// With DEMO_API_KEY set (a server with that API key), it checks the key prompt instead.
// Usage: DEMO_TOOLS=dir DEMO_OUT=dir [DEMO_API_KEY=key] node e2e.mjs http://127.0.0.1:PORT/
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const base = process.argv[2];
const tools = process.env.DEMO_TOOLS;
const out = process.env.DEMO_OUT;
const apiKey = process.env.DEMO_API_KEY;
if (!base || !tools || !out) {
  console.error('usage: DEMO_TOOLS=dir DEMO_OUT=dir node e2e.mjs http://127.0.0.1:PORT/');
  process.exit(2);
}
const { chromium } = createRequire(path.join(tools, 'package.json'))('playwright-core');

// ---- a generated test picture: sky, ground, a sun and a box, 200 × 150 RGB ----

function crc32(bytes) {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) {
      c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
  }
  return ~c >>> 0;
}

function png(width, height, pixel) {
  const raw = Buffer.alloc(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + 3 * width)] = 0;
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      raw.set([r, g, b], y * (1 + 3 * width) + 1 + 3 * x);
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const W = 200;
const H = 150;
const scene = png(W, H, (x, y) => {
  if ((x - 150) ** 2 + (y - 35) ** 2 < 18 ** 2) {
    return [250, 200, 60];
  }
  if (x > 30 && x < 95 && y > 60 && y < 125) {
    return [170 - (y - 60), 60, 50];
  }
  if (y < 80) {
    return [110 + y, 160 + y, 235];
  }
  const t = (y - 80) / 70;
  return [Math.round(90 + 60 * t), Math.round(140 + 40 * t), 70];
});
const notAnImage = Buffer.from('these are notes, not a picture\n');

// ---- checks ----

let passed = 0;
let failed = 0;
const problems = [];

function assert(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log('ok   ' + name);
  } catch (e) {
    failed++;
    console.log('FAIL ' + name + ': ' + e.message);
    throw e;
  }
}

const api = async (p) => {
  const r = await fetch(new URL(p, base), { headers: apiKey ? { Authorization: 'Bearer ' + apiKey } : {} });
  assert(r.ok, 'GET ' + p + ' answered ' + r.status);
  return r.json();
};

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sinewich-demo-chromium-'));
let context;
// The refusals a step provokes on purpose: [path part, status] pairs, seen ones counted.
let allowed = [];
const refusals = [];
// File pickers the page opened, in order.
const choosers = [];
const isAllowed = (url, status) => allowed.some(([part, s]) => url.includes(part) && s === status);
try {
  const models = await api('v1/models');
  const model = models.models[0];
  const { tasks } = await api('v1/models/' + encodeURIComponent(model.name) + '/tasks');
  console.log('demo: model ' + model.name + ' ' + model.version + ', tasks ' + tasks.map((t) => t.name).join(', '));

  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] || await context.newPage();

  // Any console error, page error, failed request, request to another host, or 4xx/5xx answer
  // fails the run, except the refusals a step provokes on purpose.
  page.on('console', (msg) => {
    if (msg.type() !== 'error') {
      return;
    }
    const url = msg.location().url || '';
    const status = /status of (\d{3})/.exec(msg.text());
    if (status && isAllowed(url, Number(status[1]))) {
      return;
    }
    problems.push('console error: ' + msg.text() + (url ? ' (' + url + ')' : ''));
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('requestfailed', (r) => problems.push('request failed: ' + r.url() + ' ' + (r.failure()?.errorText || '')));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(base) && !url.startsWith('blob:') && !url.startsWith('data:')) {
      problems.push('request to another host: ' + url);
    }
  });
  page.on('response', (r) => {
    if (r.status() >= 400) {
      if (isAllowed(r.url(), r.status())) {
        refusals.push(r.status());
      } else {
        problems.push('HTTP ' + r.status() + ' for ' + r.url());
      }
    }
  });

  // Listening from the start turns on file-chooser interception before any step needs it.
  page.on('filechooser', (chooser) => choosers.push(chooser));

  if (apiKey) {
    await keyChecks(page, model, tasks);
  } else {
    await pageChecks(page, model, tasks);
  }
  await check('no console error, failed request or unexpected HTTP error', async () => {
    assert(problems.length === 0, problems.join('; '));
  });
} catch (e) {
  if (failed === 0) {
    failed++;
    console.log('FAIL ' + e.message);
  }
  if (problems.length) {
    console.log('also seen: ' + problems.join('; '));
  }
} finally {
  if (context) {
    await context.close();
  }
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log('demo' + (apiKey ? ' with API keys' : '') + ': ' + passed + ' passed, ' + failed + ' failed');
process.exit(failed === 0 ? 0 : 1);

/** The whole page against a server without API keys. */
async function pageChecks(page, model, tasks) {
  await check('the page loads and lists the model and every task', async () => {
    await page.goto(base, { waitUntil: 'load' });
    await page.waitForFunction((n) => document.querySelectorAll('#task-list input[type=checkbox]').length === n,
      tasks.length, { timeout: 15000 });
    const names = await page.$$eval('#task-list input', (boxes) => boxes.map((b) => b.value));
    assert(JSON.stringify(names) === JSON.stringify(tasks.map((t) => t.name)), 'checkboxes ' + names);
    const info = await page.textContent('#model-info');
    assert(info.includes(model.name) && info.includes(model.version), 'model info: ' + info);
    assert(await page.title() !== '', 'the page has no title');
  });

  await check('the drop zone opens the file picker from the keyboard', async () => {
    await page.focus('#drop');
    const before = choosers.length;
    await page.keyboard.press('Enter');
    for (let i = 0; i < 50 && choosers.length === before; i++) {
      await page.waitForTimeout(100);
    }
    assert(choosers.length === before + 1, 'Enter on the drop zone opened no file picker');
    const chooser = choosers[before];
    await chooser.setFiles({ name: 'scene.png', mimeType: 'image/png', buffer: scene });
    await page.waitForFunction(() => document.getElementById('file-name').textContent.includes('scene.png'));
  });

  await check('every task runs and every picture loads', async () => {
    await page.setInputFiles('#file', { name: 'scene.png', mimeType: 'image/png', buffer: scene });
    await page.uncheck('#task-list input >> nth=0');
    await page.click('#select-all');
    const unchecked = await page.$$eval('#task-list input', (b) => b.filter((x) => !x.checked).length);
    assert(unchecked === 0, unchecked + ' tasks not selected');
    await page.click('#run');
    await page.waitForFunction((n) => {
      const imgs = [...document.querySelectorAll('#results img')];
      return imgs.length === n + 1 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    }, tasks.length, { timeout: 120000 });
    const sizes = await page.$$eval('#results img', (imgs) => imgs.map((i) => [i.naturalWidth, i.naturalHeight, i.alt]));
    for (const [w, h, alt] of sizes) {
      assert(w === W && h === H, 'a picture is ' + w + '×' + h + ', not the input size ' + W + '×' + H);
      assert(alt && alt.trim().length > 0, 'a picture has no alt text');
    }
    const order = await page.$$eval('#results .card[data-task]', (cards) => cards.map((c) => c.dataset.task));
    assert(JSON.stringify(order) === JSON.stringify(tasks.map((t) => t.name)), 'result cards ' + order);
    assert(await page.isHidden('#error'), 'an error is shown: ' + await page.textContent('#error'));
  });

  await check('every output has its legend and latency', async () => {
    for (const task of tasks) {
      const card = page.locator('#results .card[data-task="' + task.name + '"]');
      const server = await card.locator('.latency-server').textContent();
      assert(/^Server [\d.]+ ms \(queue [\d.]+ ms, compute [\d.]+ ms\)$/.test(server), task.name + ' latency: ' + server);
      const roundTrip = await card.locator('.latency-rtt').textContent();
      assert(/^Round trip [\d.]+ ms$/.test(roundTrip), task.name + ' round trip: ' + roundTrip);
      const legend = card.locator('.legend');
      assert(await legend.getAttribute('data-kind') === task.kind, task.name + ' legend kind');
      if (task.kind === 'segmentation') {
        const names = await legend.locator('.label-name').allTextContents();
        assert(JSON.stringify(names) === JSON.stringify(task.labels), task.name + ' legend labels ' + names);
        const colours = await legend.locator('.chip').evaluateAll((c) => c.map((x) => getComputedStyle(x).backgroundColor));
        assert(new Set(colours).size === task.labels.length, task.name + ' swatch colours ' + colours);
      } else if (task.kind === 'depth') {
        const min = await legend.locator('.bar-min').textContent();
        const max = await legend.locator('.bar-max').textContent();
        const pattern = new RegExp('^(min|max) [-\\d.e+]+ ' + (task.unit || 'm') + '$');
        assert(pattern.test(min) && pattern.test(max), task.name + ' depth range ' + min + ' / ' + max);
        assert(parseFloat(min.split(' ')[1]) <= parseFloat(max.split(' ')[1]), 'depth min > max');
      } else if (task.kind === 'normals') {
        const text = await legend.textContent();
        assert(/red = x/.test(text) && /green = y/.test(text) && /blue = z/.test(text), 'normals legend ' + text);
      } else if (task.kind === 'saliency' || task.kind === 'edges') {
        assert(await legend.locator('.bar-min').textContent() === '0', task.name + ' bar min');
        assert(await legend.locator('.bar-max').textContent() === '1', task.name + ' bar max');
      }
    }
  });

  await check('the layout has no horizontal overflow and the screenshot is saved', async () => {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, 'the page is ' + overflow + ' px too wide');
    await page.screenshot({ path: path.join(out, 'demo-screenshot.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    const narrow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(narrow <= 0, 'on a phone-sized screen the page is ' + narrow + ' px too wide');
    await page.screenshot({ path: path.join(out, 'demo-screenshot-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await check('a text file shows the server\'s own error message', async () => {
    const form = new FormData();
    form.append('image', new Blob([notAnImage], { type: 'text/plain' }), 'notes.txt');
    const direct = await fetch(new URL('v1/models/' + encodeURIComponent(model.name) + '/predict?task='
      + encodeURIComponent(tasks[0].name) + '&format=png', base), { method: 'POST', body: form });
    assert(direct.status >= 400 && direct.status < 500, 'the server answered a text file with ' + direct.status);
    const expected = (await direct.json()).error;
    assert(expected, 'the server gave no message');
    allowed = [['/predict', direct.status]];
    await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: notAnImage });
    await page.click('#run');
    await page.waitForSelector('#error:not([hidden])', { timeout: 30000 });
    const shown = await page.textContent('#error .server-message');
    assert(shown === expected, 'shown "' + shown + '", the server said "' + expected + '"');
    const whole = await page.textContent('#error');
    assert(whole.includes(String(direct.status)), 'the status is not shown: ' + whole);
    assert(refusals.length === 1 && refusals[0] === direct.status, 'refusals seen ' + refusals);
    await page.screenshot({ path: path.join(out, 'demo-error-screenshot.png') });
    allowed = [];
  });

}

/** Against a server with an API key: the page asks for it, shows the server's 401 message, and works with it. */
async function keyChecks(page, model, tasks) {
  await check('without a key the page shows the server\'s 401 message and asks for the key', async () => {
    const direct = await fetch(new URL('v1/models', base));
    assert(direct.status === 401, 'the server answered ' + direct.status + ' without a key');
    const expected = (await direct.json()).error;
    allowed = [['/v1/models', 401]];
    await page.goto(base, { waitUntil: 'load' });
    await page.waitForSelector('#error:not([hidden])', { timeout: 15000 });
    assert(await page.textContent('#error .server-message') === expected, 'the 401 message is not the server\'s');
    assert(await page.isVisible('#api-key'), 'the API key field is hidden');
    assert(await page.getAttribute('#api-key', 'type') === 'password', 'the key is shown in clear');
    const label = await page.textContent('label[for="api-key"]');
    assert(label && label.trim().length > 0, 'the key field has no label');
    allowed = [];
  });

  await check('with the key the page lists the tasks and runs one', async () => {
    await page.fill('#api-key', apiKey);
    await page.press('#api-key', 'Enter');
    await page.waitForFunction((n) => document.querySelectorAll('#task-list input').length === n, tasks.length,
      { timeout: 15000 });
    assert(await page.isHidden('#error'), 'the error is still shown');
    assert((await page.textContent('#model-info')).includes(model.name), 'no model info');
    await page.setInputFiles('#file', { name: 'scene.png', mimeType: 'image/png', buffer: scene });
    const boxes = page.locator('#task-list input');
    for (let i = 1; i < tasks.length; i++) {
      await boxes.nth(i).uncheck();
    }
    await page.click('#run');
    await page.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('#results img')];
      return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    }, null, { timeout: 60000 });
    const latency = await page.textContent('#results .card[data-task] .latency-rtt');
    assert(/^Round trip [\d.]+ ms$/.test(latency), 'latency: ' + latency);
  });
}
