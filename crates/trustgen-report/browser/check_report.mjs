// Checks a trustgen report.html in a real headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core; no browser download).
//
//   node check_report.mjs REPORT.html [--generic] [--origins public,authored] [--chromium PATH]
//
// Fails (exit 1, with a message per problem) when the page logs a console
// error or throws, makes any request other than loading the file itself, lacks
// the chart or the tables, cannot page the case explorer or open a case, or
// runs a script injected through a model output. Without --generic it also
// checks the fixture written by `trustgen_report::write_fixture_report`
// (payload texts visible as text, truncation marker, failure cases, reference
// leaderboard); --generic runs only the checks that hold for any report.
// Every report: each task row shows a visible data-origin badge. --origins K,..
// also requires a visible badge of each kind K (the quick suite's report has
// public and authored tasks). The only <img> elements allowed are the case
// explorer's thumbnails (class "thumb", a JPEG data: URL). --thumbnails (and
// the fixture, always) opens the first case with images and requires a
// thumbnail that rendered (naturalWidth > 0, at most 160 px) and, for the
// fixture, the damaged image named instead of shown.

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const generic = args.includes('--generic');
const thumbnails = args.includes('--thumbnails') || !generic;
const chromiumAt = args.includes('--chromium') ? args[args.indexOf('--chromium') + 1] : (process.env.CHROMIUM ?? '/usr/bin/chromium');
const origins = args.includes('--origins') ? args[args.indexOf('--origins') + 1].split(',').filter(Boolean) : [];
const report = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--chromium' && args[i - 1] !== '--origins');
if (!report) {
  console.error('usage: node check_report.mjs REPORT.html [--generic] [--chromium PATH]');
  process.exit(2);
}
if (!existsSync(report)) {
  console.error(`no such file: ${report}; write the fixture with \`cargo run -p trustgen-report --example fixture_report -- OUT_DIR\``);
  process.exit(2);
}
if (!existsSync(chromiumAt)) {
  console.error(`no Chromium at ${chromiumAt}; install it with \`apt-get install -y chromium\` or pass --chromium PATH`);
  process.exit(2);
}

// The payloads of the fixture (crates/trustgen-report/src/fixture.rs).
const XSS_OUTPUT = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
const XSS_PROMPT = '</script><script>window.__xss=3</script>';
const XSS_REASONING = '<img src=x onerror=window.__xss=4>';

const url = pathToFileURL(resolve(report)).href;
const problems = [];
const fail = (msg) => problems.push(msg);
const consoleErrors = [];
const requests = [];
const timings = {};

const profile = mkdtempSync(join(tmpdir(), 'trustgen-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumAt,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    offline: true,
  });
  context.on('request', (req) => {
    if (req.url() !== url) requests.push(`${req.method()} ${req.url()}`);
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  page.on('websocket', (ws) => requests.push(`websocket ${ws.url()}`));
  page.setDefaultTimeout(60_000);

  let t0 = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  timings.load_ms = Date.now() - t0;
  await page.waitForSelector('body[data-ready="true"]');
  timings.ready_ms = Date.now() - t0;

  // The chart and the tables.
  const runs = await page.locator('table.runs tbody tr').count();
  const chart = await page.evaluate(() => {
    const svg = document.querySelector('section#profile svg.chart');
    if (!svg) return null;
    return {
      kind: svg.classList.contains('radar') ? 'radar' : 'bars',
      series: svg.querySelectorAll('g.series').length,
      shapes: svg.querySelectorAll('polygon.area, rect.bar').length,
      points: svg.querySelectorAll('circle.point, rect.bar').length,
      visible: svg.getBoundingClientRect().width > 100,
    };
  });
  if (!chart) fail('no SVG chart in the trust profile section');
  else {
    if (!chart.visible) fail('the chart is not rendered with a visible size');
    if (chart.kind === 'radar' && chart.series !== runs) fail(`radar chart has ${chart.series} series for ${runs} runs`);
    if (chart.shapes < runs) fail(`chart has ${chart.shapes} shapes for ${runs} runs`);
  }
  const dimRows = await page.locator('#dimension-table tbody tr').count();
  const taskRows = await page.locator('#task-table tbody tr').count();
  if (dimRows < 1) fail('the dimension table has no row');
  if (taskRows < 1) fail('the task table has no row');

  // Every task row shows where its data came from, visibly.
  const badges = await page.evaluate(() =>
    Array.from(document.querySelectorAll('#task-table tbody tr')).map((r) => {
      const b = r.querySelector('span.origin');
      if (!b) return null;
      const box = b.getBoundingClientRect();
      const style = getComputedStyle(b);
      return {
        text: b.textContent.trim(),
        visible: box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none',
      };
    }),
  );
  badges.forEach((b, i) => {
    if (!b) fail(`task row ${i + 1} has no data-origin badge`);
    else if (!b.visible) fail(`task row ${i + 1}: the data-origin badge "${b.text}" is not visible`);
    else if (!/^(public|authored|user|unknown|none)( \+ (public|authored|user|unknown))*$/.test(b.text))
      fail(`task row ${i + 1}: unexpected data-origin badge "${b.text}"`);
  });
  for (const kind of origins) {
    if (!badges.some((b) => b && b.visible && b.text.split(' + ').includes(kind))) fail(`no visible "${kind}" data-origin badge`);
  }
  timings.origin_badges = badges.length;

  // Sorting the task table by score.
  await page.locator('#task-table thead th', { hasText: /^score$/ }).click();
  const sorted = await page.evaluate(() =>
    Array.from(document.querySelectorAll('#task-table tbody tr')).map((r) => parseFloat(r.cells[5].getAttribute('data-sort'))),
  );
  const finite = sorted.filter((x) => !Number.isNaN(x));
  if (!finite.every((x, i) => i === 0 || finite[i - 1] <= x)) fail(`clicking "score" did not sort the task table: ${finite}`);

  // The case explorer: a page of at most 50 rows, paging, a drill-down.
  const rows = await page.locator('#case-rows tr[data-result]').count();
  if (rows < 1 || rows > 50) fail(`the case explorer shows ${rows} rows (expected 1 to 50)`);
  const info = await page.locator('#page-info').textContent();
  const pages = Number((info.match(/of (\d+)/) ?? [])[1] ?? 0);
  if (pages > 1) {
    await page.locator('#next').click();
    const info2 = await page.locator('#page-info').textContent();
    if (!info2.startsWith('page 2 of')) fail(`"next" did not page the case explorer: ${info2}`);
    await page.locator('#prev').click();
  }
  t0 = Date.now();
  await page.locator('#case-rows tr[data-result]').first().click();
  await page.waitForSelector('#case-detail:not([hidden])');
  timings.open_case_ms = Date.now() - t0;
  const detail = await page.locator('#case-detail').innerText();
  if (!/user turn 1/i.test(detail)) fail('the opened case shows no prompt');
  if (!/output main, turn 1/i.test(detail) && !/no output recorded/i.test(detail)) fail('the opened case shows no output');
  if (!/verdict/i.test(detail)) fail('the opened case shows no verdict');

  // Filtering by task.
  const taskOptions = await page.locator('#f-task option').count();
  if (taskOptions > 1) {
    await page.locator('#f-task').selectOption({ index: 1 });
    const wanted = (await page.locator('#f-task option').nth(1).textContent()).trim();
    const tasks = await page.evaluate(() => Array.from(document.querySelectorAll('#case-rows tr[data-result]')).map((r) => r.cells[1].textContent));
    if (!tasks.length || !tasks.every((t) => t === wanted)) fail(`filtering by task ${wanted} shows other tasks: ${[...new Set(tasks)]}`);
    await page.locator('#f-task').selectOption('');
  }

  if (thumbnails) {
    // The first case with images (D.images lists the distinct ones; a case names them by index).
    const target = await page.evaluate(() => {
      const D = JSON.parse(document.getElementById('case-data').textContent);
      const ci = D.cases.findIndex((c) => c.p.some((p) => p.img && p.img.length));
      return ci < 0 ? null : { ci, id: typeof D.cases[ci].id === 'string' ? D.cases[ci].id : D.cases[ci].id[0], images: D.images.length };
    });
    if (!target) fail('no case of the report has images (--thumbnails)');
    else {
      await page.locator('#f-text').fill(target.id);
      await page.waitForTimeout(400); // the search input is debounced
      const clicked = await page.evaluate((id) => {
        const row = Array.from(document.querySelectorAll('#case-rows tr[data-result]')).find((r) => r.cells[0].textContent === id);
        if (row) row.click();
        return Boolean(row);
      }, target.id);
      if (!clicked) fail(`searching for case ${target.id} did not list it`);
      await page.waitForSelector('#case-detail:not([hidden])');
      await page.waitForFunction(() => Array.from(document.querySelectorAll('#case-detail img.thumb')).every((i) => i.complete));
      const thumbs = await page.evaluate(() =>
        Array.from(document.querySelectorAll('#case-detail img.thumb')).map((i) => {
          const box = i.getBoundingClientRect();
          return { w: i.naturalWidth, h: i.naturalHeight, shown: box.width > 0 && box.height > 0, alt: i.alt };
        }),
      );
      timings.thumbnails = thumbs.length;
      if (!thumbs.length) fail(`case ${target.id} shows no thumbnail`);
      for (const t of thumbs) {
        if (!(t.w > 0 && t.h > 0)) fail(`a thumbnail of case ${target.id} did not render (naturalWidth ${t.w}): ${t.alt}`);
        else if (t.w > 160 || t.h > 160) fail(`a thumbnail of case ${target.id} is ${t.w}x${t.h}, over 160 px`);
        if (!t.shown) fail(`a thumbnail of case ${target.id} is not visible: ${t.alt}`);
        if (!/^image \d+ /.test(t.alt)) fail(`a thumbnail has no alt text: "${t.alt}"`);
      }
      if (!generic) {
        const text = await page.locator('#case-detail').innerText();
        if (!/not shown: cannot be shown: unreadable image/.test(text)) fail('the damaged fixture image is not named in its case');
        if (thumbs.length !== 4) fail(`the fixture's image case shows ${thumbs.length} thumbnails (expected 4: two prompt images, and one reply image per run)`);
      }
      await page.locator('#f-text').fill('');
      await page.waitForTimeout(400);
    }
  }

  if (!generic) {
    // Search for the case whose output carries the script payload and open it.
    const openBySearch = async (needle) => {
      await page.locator('#f-text').fill(needle);
      await page.waitForFunction(
        (n) => {
          const first = document.querySelector('#case-rows tr[data-result]');
          return document.querySelector('#f-text').value === n && first !== null;
        },
        needle,
      );
      await page.waitForTimeout(400); // the search input is debounced
      await page.locator('#case-rows tr[data-result]').first().click();
      await page.waitForSelector('#case-detail:not([hidden])');
      return page.locator('#case-detail').innerText();
    };
    let text = await openBySearch('__xss=1');
    if (!text.includes(XSS_OUTPUT)) fail('the output payload is not shown as text in the opened case');
    if (!text.includes(XSS_REASONING)) {
      // The reasoning payload is on another case; check it there.
      text = await openBySearch('jailbreak/2');
      if (!text.includes(XSS_REASONING)) fail('the judge-reasoning payload is not shown as text');
    }
    text = await openBySearch('__xss=3');
    if (!text.includes(XSS_PROMPT)) fail('the prompt payload is not shown as text in the opened case');
    text = await openBySearch('long output long output');
    if (!/truncated, \d+ characters in total/.test(text)) fail('a 7,000-character output shows no truncation marker');
    await page.locator('#f-text').fill('');

    // A failure case opens in the explorer.
    const groups = await page.locator('details.failure-group').count();
    if (groups < 1) fail('no failure cases section');
    else {
      await page.locator('details.failure-group summary').first().click();
      const button = page.locator('details.failure-group button.open-case').first();
      const want = await button.getAttribute('data-case');
      await button.click();
      const got = await page.locator('#case-detail').getAttribute('data-case');
      if (got !== want) fail(`opening failure case ${want} opened ${got}`);
    }

    // The reference leaderboard, marked as such.
    const ref = await page.locator('section#reference').innerText().catch(() => '');
    if (!ref.includes('reference (published, not measured here)')) fail('the reference leaderboard is missing or not marked as reference');
    if (!ref.includes('GPT-4o')) fail('the reference leaderboard lacks the published models');
    if ((await page.locator('table.reference tr.measured').count()) < 1) fail('no measured model beside the reference leaderboard');
  }

  // Nothing injected ran or entered the DOM as markup.
  await page.waitForTimeout(300);
  const injected = await page.evaluate(() => ({
    xss: typeof window.__xss === 'undefined' ? null : window.__xss,
    imgs: Array.from(document.querySelectorAll('img')).filter(
      (i) => !(i.classList.contains('thumb') && i.closest('#case-detail') && i.getAttribute('src').startsWith('data:image/jpeg;base64,')),
    ).length,
    handlers: document.querySelectorAll('[onerror], [onmouseover], [onload], [onclick]').length,
    scripts: document.querySelectorAll('script').length,
  }));
  if (injected.xss !== null) fail(`an injected script ran: window.__xss = ${injected.xss}`);
  if (injected.imgs > 0) fail(`${injected.imgs} <img> element(s) other than the explorer's JPEG thumbnails entered the page`);
  if (injected.handlers > 0) fail(`${injected.handlers} element(s) with inline event handlers entered the page`);
  if (injected.scripts !== 2) fail(`the page has ${injected.scripts} script elements (expected 2: data and code)`);
} catch (err) {
  fail(`the check itself failed: ${err.message}`);
} finally {
  if (context) await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}

for (const e of consoleErrors) fail(`console error: ${e}`);
for (const r of requests) fail(`network request other than the file itself: ${r}`);

if (problems.length) {
  console.error(`report check FAILED for ${report}:`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`report check passed for ${report} (${generic ? 'generic' : 'fixture'} checks; load ${timings.load_ms} ms, ready ${timings.ready_ms} ms, open case ${timings.open_case_ms} ms${thumbnails ? `, ${timings.thumbnails} thumbnails rendered` : ''})`);
