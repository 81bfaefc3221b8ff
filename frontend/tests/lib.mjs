// Browser test kit for the app's pages: Chromium via playwright-core (the
// Debian `chromium` package, never a downloaded browser) and axe-core.
//
//   import { launch, checkA11y, login, keyboardLogin } from './lib.mjs';
//   const browser = await launch();
//   const page = await browser.newPage();
//   await login(page, 'http://127.0.0.1:8080', 'a@example.org', 'secret');
//   await checkA11y(page, 'dashboard');
//   await browser.close();
//
// CHROMIUM_PATH overrides the browser path (default /usr/bin/chromium;
// `apt-get install -y chromium` provides it).
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A page in a fresh context (its own cookies). The app sends a strict Content-Security-Policy
 * that forbids inline scripts, so the context bypasses CSP for axe-core's injected script only;
 * the app's own pages use no script at all.
 */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ bypassCSP: true, ...options });
  return context.newPage();
}

/**
 * Types a date `daysAhead` of today into the GOV.UK date input whose legend is `legend`
 * (day, month and year boxes), and `time` into its time box if given.
 */
export async function fillDate(page, legend, daysAhead, time) {
  const d = new Date(Date.now() + daysAhead * 86400000);
  const group = page.getByRole('group', { name: legend });
  await group.getByLabel('Day').fill(String(d.getUTCDate()));
  await group.getByLabel('Month').fill(String(d.getUTCMonth() + 1));
  await group.getByLabel('Year').fill(String(d.getUTCFullYear()));
  if (time !== undefined) await group.getByLabel('Time (24-hour clock)').fill(time);
}

/**
 * The guides' pictures: with SCREENSHOTS=1 (`SCREENSHOTS=1 cargo test-all`), saves the
 * page as docs/guides/images/`name`-1280.png and `name`-375.png (whole page, at each
 * width) and puts the page back to its width; otherwise does nothing, so an ordinary
 * run leaves the checkout as it was.
 */
export async function screenshot(page, name) {
  if (process.env.SCREENSHOTS !== '1') return;
  const dir = fileURLToPath(new URL('../../docs/guides/images/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: `${dir}${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize(size);
}

/** axe-core on the page at 1280 and at 375 px wide, then back to its width. */
export async function checkBoth(page, label) {
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 800 });
    await checkA11y(page, `${label} at ${width} px`);
  }
  await page.setViewportSize(size);
}

/** Launch headless Chromium. Close it with `await browser.close()`. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** WCAG 2.0/2.1 A and AA plus WCAG 2.2 AA, as the public sector must meet. */
export const A11Y_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let axeSource;
function axeScript() {
  axeSource ??= readFileSync(
    fileURLToPath(new URL('../node_modules/axe-core/axe.min.js', import.meta.url)),
    'utf8',
  );
  return axeSource;
}

/**
 * Run axe-core on the whole current page. Throws an Error naming `label`
 * and every violation (rule id, impact, help, first few nodes) if there are
 * any; otherwise returns axe's results object.
 */
export async function checkA11y(page, label = page.url()) {
  const present = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!present) await page.addScriptTag({ content: axeScript() });
  const results = await page.evaluate(
    (values) => window.axe.run(document, { runOnly: { type: 'tag', values } }),
    A11Y_TAGS,
  );
  if (results.violations.length) {
    throw new Error(formatViolations(label, results.violations));
  }
  return results;
}

const MAX_NODES = 3;
function formatViolations(label, violations) {
  const lines = [`accessibility violations on ${label} (${violations.length} rule${violations.length === 1 ? '' : 's'}):`];
  for (const v of violations) {
    lines.push(`- ${v.id} [${v.impact}] ${v.help} (${v.helpUrl}) — ${v.nodes.length} node(s)`);
    for (const n of v.nodes.slice(0, MAX_NODES)) {
      const html = n.html.length > 200 ? `${n.html.slice(0, 200)}…` : n.html;
      lines.push(`    at ${n.target.join(' ')}: ${html}`);
      if (n.failureSummary) lines.push(`      ${n.failureSummary.replace(/\s*\n\s*/g, ' ')}`);
    }
    if (v.nodes.length > MAX_NODES) lines.push(`    … and ${v.nodes.length - MAX_NODES} more`);
  }
  return lines.join('\n');
}

/** Sign in with the mouse-and-label route: fills by label, clicks "Sign in". */
export async function login(page, baseUrl, email, password) {
  await page.goto(`${trimSlash(baseUrl)}/login`);
  const emailInput = page.getByLabel('Email address', { exact: true });
  const passwordInput = page.getByLabel('Password', { exact: true });
  await expectName(emailInput, 'email');
  await expectName(passwordInput, 'password');
  await emailInput.fill(email);
  await passwordInput.fill(password);
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
}

/**
 * Sign in using only the keyboard, as a keyboard or screen reader user would:
 * the first Tab must reach the "Skip to main content" link, then Tab on until
 * the email field has focus, type, Tab to the password field, type, Enter.
 */
export async function keyboardLogin(page, baseUrl, email, password, { maxTabs = 40 } = {}) {
  await page.goto(`${trimSlash(baseUrl)}/login`);
  // Start from the top of the document, with nothing focused.
  await page.evaluate(() => {
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    window.scrollTo(0, 0);
  });

  await page.keyboard.press('Tab');
  const first = await focused(page);
  if (first.tag !== 'a' || first.text !== 'Skip to main content') {
    throw new Error(`keyboardLogin: first Tab should land on the "Skip to main content" link, got ${describe(first)}`);
  }

  let tabs = 1;
  for (;;) {
    const f = await focused(page);
    if (f.tag === 'input' && f.name === 'email') break;
    if (tabs >= maxTabs) throw new Error(`keyboardLogin: email field not reached after ${maxTabs} Tabs (last focus: ${describe(f)})`);
    await page.keyboard.press('Tab');
    tabs++;
  }
  await page.keyboard.type(email);

  await page.keyboard.press('Tab');
  const pw = await focused(page);
  if (pw.tag !== 'input' || pw.name !== 'password') {
    throw new Error(`keyboardLogin: Tab after the email field should reach the password field, got ${describe(pw)}`);
  }
  await page.keyboard.type(password);

  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { tag: 'body' };
    return {
      tag: el.tagName.toLowerCase(),
      name: el.getAttribute('name'),
      id: el.id,
      text: (el.innerText ?? el.textContent ?? '').trim(),
    };
  });
}

function describe(f) {
  const bits = [f.tag];
  if (f.id) bits.push(`#${f.id}`);
  if (f.name) bits.push(`[name=${f.name}]`);
  if (f.text) bits.push(JSON.stringify(f.text.slice(0, 60)));
  return bits.join(' ');
}

async function expectName(locator, name) {
  const actual = await locator.getAttribute('name');
  if (actual !== name) throw new Error(`expected the field to have name="${name}", got ${JSON.stringify(actual)}`);
}

function trimSlash(url) {
  return url.replace(/\/+$/, '');
}
