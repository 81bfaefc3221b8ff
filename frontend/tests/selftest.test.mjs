// Self-test of the browser test kit (lib.mjs) and of the built CSS
// (static/app.css), against a tiny GOV.UK-styled site served on 127.0.0.1.
//
//   npm run selftest           (node --test tests/selftest.test.mjs)
//
// Needs /usr/bin/chromium (or CHROMIUM_PATH); set SHOT=/tmp/shot.png to also
// save a screenshot of the login page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkA11y, keyboardLogin, launch, login } from './lib.mjs';

const staticDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'static');
const USER = { email: 'officer@council.example', password: 'correct horse battery staple' };
const TYPES = { '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon' };

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(title, main) {
  return `<!DOCTYPE html>
<html lang="en" class="govuk-template">
<head>
  <meta charset="utf-8">
  <title>${esc(title)} – Care commissioning</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="/static/images/favicon.svg" type="image/svg+xml">
  <link rel="icon" href="/static/images/favicon.ico" sizes="48x48">
  <link rel="apple-touch-icon" href="/static/images/icon-180.png">
  <link rel="stylesheet" href="/static/app.css">
</head>
<body class="govuk-template__body">
  <a href="#main-content" class="govuk-skip-link">Skip to main content</a>
  <header class="govuk-header" role="banner">
    <div class="govuk-header__container govuk-width-container">
      <a href="/" class="app-header-organisation">Example County Council</a>
    </div>
  </header>
  <section aria-label="Service information" class="govuk-service-navigation">
    <div class="govuk-width-container">
      <div class="govuk-service-navigation__container">
        <span class="govuk-service-navigation__service-name">
          <a href="/" class="govuk-service-navigation__link">Adult social care commissioning</a>
        </span>
      </div>
    </div>
  </section>
  <div class="govuk-width-container">
    <main class="govuk-main-wrapper" id="main-content">
${main}
    </main>
  </div>
  <footer class="govuk-footer">
    <div class="govuk-width-container">
      <div class="govuk-footer__meta">
        <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
          <a class="govuk-footer__link" href="/accessibility">Accessibility statement</a>
        </div>
      </div>
    </div>
  </footer>
</body>
</html>`;
}

function loginPage(error, email = '') {
  const summary = error
    ? `<div class="govuk-error-summary" data-module="govuk-error-summary">
        <div role="alert">
          <h2 class="govuk-error-summary__title">There is a problem</h2>
          <div class="govuk-error-summary__body">
            <ul class="govuk-list govuk-error-summary__list"><li><a href="#email">${esc(error)}</a></li></ul>
          </div>
        </div>
      </div>`
    : '';
  return layout(
    error ? 'Error: Sign in' : 'Sign in',
    `<div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
      ${summary}
      <h1 class="govuk-heading-l">Sign in</h1>
      <form method="post" action="/login" novalidate>
        <div class="govuk-form-group${error ? ' govuk-form-group--error' : ''}">
          <label class="govuk-label" for="email">Email address</label>
          ${error ? `<p id="email-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${esc(error)}</p>` : ''}
          <input class="govuk-input${error ? ' govuk-input--error' : ''}" id="email" name="email" type="email"
            spellcheck="false" autocomplete="email" value="${esc(email)}"${error ? ' aria-describedby="email-error"' : ''}>
        </div>
        <div class="govuk-form-group">
          <label class="govuk-label" for="password">Password</label>
          <input class="govuk-input govuk-!-width-two-thirds" id="password" name="password" type="password" autocomplete="current-password">
        </div>
        <button type="submit" class="govuk-button" data-module="govuk-button">Sign in</button>
      </form>
      <div class="app-table-wrap" role="region" aria-label="Example table" tabindex="0">
        <table class="govuk-table">
          <caption class="govuk-table__caption govuk-table__caption--m">Weekly hours</caption>
          <thead class="govuk-table__head"><tr class="govuk-table__row">
            <th scope="col" class="govuk-table__header">Provider</th>
            <th scope="col" class="govuk-table__header app-numeric">Hours</th>
          </tr></thead>
          <tbody class="govuk-table__body"><tr class="govuk-table__row">
            <td class="govuk-table__cell">Example Care Ltd</td>
            <td class="govuk-table__cell app-numeric">1,234.5</td>
          </tr></tbody>
        </table>
      </div>
    </div></div>`,
  );
}

const brokenPage = `<!DOCTYPE html><html lang="en"><head><title>Broken</title></head><body>
  <main><h1>Broken</h1><img src="/static/images/icon-180.png"><input name="q" type="text"></main></body></html>`;

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const send = (status, body, type = 'text/html; charset=utf-8', headers = {}) => {
    res.writeHead(status, { 'content-type': type, ...headers });
    res.end(body);
  };
  if (url.pathname.startsWith('/static/')) {
    const file = normalize(join(staticDir, decodeURIComponent(url.pathname.slice('/static/'.length))));
    if (!file.startsWith(staticDir + sep)) return send(404, 'not found', 'text/plain');
    try {
      return send(200, await readFile(file), TYPES[extname(file)] ?? 'application/octet-stream');
    } catch {
      return send(404, 'not found', 'text/plain');
    }
  }
  if (url.pathname === '/login' && req.method === 'GET') return send(200, loginPage());
  if (url.pathname === '/login' && req.method === 'POST') {
    let body = '';
    for await (const chunk of req) body += chunk;
    const form = new URLSearchParams(body);
    if (form.get('email') === USER.email && form.get('password') === USER.password) {
      return send(303, '', 'text/plain', { location: `/home?who=${encodeURIComponent(USER.email)}` });
    }
    return send(200, loginPage('Enter a correct email address and password', form.get('email') ?? ''));
  }
  if (url.pathname === '/home') {
    return send(200, layout('Home', `<h1 class="govuk-heading-l">Signed in as ${esc(url.searchParams.get('who'))}</h1>`));
  }
  if (url.pathname === '/broken') return send(200, brokenPage);
  return send(404, layout('Page not found', '<h1 class="govuk-heading-l">Page not found</h1>'));
}

let server;
let baseUrl;
let browser;

before(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => server?.close(ok) ?? ok());
});

test('built CSS loads and styles the page with system fonts', async () => {
  const page = await browser.newPage();
  const failed = [];
  page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
  await page.goto(`${baseUrl}/login`);
  const s = await page.evaluate(() => {
    const css = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
    return {
      font: css('h1.govuk-heading-l', 'fontFamily'),
      header: css('.govuk-header', 'backgroundColor'),
      button: css('.govuk-button', 'backgroundColor'),
      overflow: css('.app-table-wrap', 'overflowX'),
      fonts: [...document.fonts].map((f) => f.family),
    };
  });
  if (process.env.SHOT) await page.screenshot({ path: process.env.SHOT, fullPage: true });
  await page.close();
  assert.match(s.font, /^system-ui/);
  assert.doesNotMatch(s.font, /GDS Transport/);
  assert.deepEqual(s.fonts, [], 'no @font-face fonts');
  assert.equal(s.header, 'rgb(11, 12, 12)');
  assert.equal(s.button, 'rgb(0, 112, 60)');
  assert.equal(s.overflow, 'auto');
  assert.deepEqual(failed, [], 'no failed requests');
});

test('checkA11y passes a clean GOV.UK page and returns axe results', async () => {
  const page = await browser.newPage();
  await page.goto(`${baseUrl}/login`);
  const results = await checkA11y(page, 'login');
  assert.equal(results.violations.length, 0);
  assert.ok(results.passes.length > 10);
  await checkA11y(page, 'login again'); // axe already injected
  await page.close();
});

test('checkA11y throws with label, rule ids, impact and nodes', async () => {
  const page = await browser.newPage();
  await page.goto(`${baseUrl}/broken`);
  await assert.rejects(checkA11y(page, 'broken page'), (e) => {
    assert.match(e.message, /broken page/);
    assert.match(e.message, /image-alt \[critical\]/);
    assert.match(e.message, /label \[critical\]/);
    assert.match(e.message, /<img src=/);
    return true;
  });
  await page.close();
});

test('login signs in by label and button name', async () => {
  const page = await browser.newPage();
  await login(page, baseUrl, USER.email, USER.password);
  assert.equal(new URL(page.url()).pathname, '/home');
  assert.equal(await page.locator('h1').innerText(), `Signed in as ${USER.email}`);
  await page.close();
});

test('login with a wrong password stays on the sign-in page with an error', async () => {
  const page = await browser.newPage();
  await login(page, baseUrl, USER.email, 'wrong');
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.match(await page.locator('.govuk-error-summary').innerText(), /There is a problem/);
  await checkA11y(page, 'login error');
  await page.close();
});

test('keyboardLogin signs in with the keyboard only', async () => {
  const page = await browser.newPage();
  await keyboardLogin(page, baseUrl, USER.email, USER.password);
  assert.equal(new URL(page.url()).pathname, '/home');
  await page.close();
});

test('keyboardLogin fails when the first Tab is not the skip link', async () => {
  const page = await browser.newPage();
  await page.route(`${baseUrl}/login`, async (route) => {
    const body = loginPage().replace('<a href="#main-content" class="govuk-skip-link">Skip to main content</a>', '');
    await route.fulfill({ status: 200, contentType: 'text/html', body });
  });
  await assert.rejects(keyboardLogin(page, baseUrl, USER.email, USER.password), /Skip to main content/);
  await page.close();
});
