// Browser journeys for the foundation: public pages, keyboard sign-in, registration, each
// role's dashboard, the admin pages and the provider profile. axe-core (WCAG 2.2 AA) runs on
// every page visited. Run by the Rust test `browser::foundation_pages_pass_axe_and_work_by_keyboard`,
// which starts the app on a fresh database and passes BASE_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { launch, newPage, checkA11y, login, keyboardLogin, screenshot } from './lib.mjs';

const BASE = process.env.BASE_URL;
const PASSWORD = process.env.DEMO_PASSWORD;
// The key the sender derives emailed links' secrets with (the stored email hides them).
const LINK_KEY = process.env.LINK_KEY;

/** The live link of the newest email to `to` that links to `path`, as its reader gets it. */
async function emailedLink(to, path) {
  const token = await fetch(`${BASE}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'admin@council.example', password: PASSWORD }),
  }).then((r) => r.json());
  const list = await fetch(`${BASE}/api/v1/outbox?to=${encodeURIComponent(to)}`, {
    headers: { Authorization: `Bearer ${token.access_token}` },
  }).then((r) => r.json());
  const secret = createHmac('sha256', Buffer.from(LINK_KEY, 'hex'))
    .update(list.items[0].message_id)
    .digest('hex');
  return `${BASE}${path}?token=${secret}`;
}
let browser;

before(async () => {
  assert.ok(BASE, 'BASE_URL must be set');
  browser = await launch();
});
after(async () => browser && (await browser.close()));

async function visit(page, path, label) {
  const response = await page.goto(`${BASE}${path}`);
  assert.ok(response.status() < 500, `${path} answered ${response.status()}`);
  await checkA11y(page, label ?? path);
  return response;
}

test('public pages pass axe', async () => {
  const page = await newPage(browser);
  for (const path of ['/', '/login', '/register', '/accessibility', '/feedback']) {
    await visit(page, path);
  }
  const missing = await visit(page, '/no-such-page', 'not found page');
  assert.equal(missing.status(), 404);
  await page.close();
});

test('sign-in works with the keyboard alone and errors are announced', async () => {
  const page = await newPage(browser);
  await keyboardLogin(page, BASE, 'commissioner@council.example', PASSWORD);
  assert.match(page.url(), /\/dashboard$/);
  await checkA11y(page, 'commissioner dashboard');
  // Sign out is a form button reachable from the header.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login/);
  // A wrong password re-renders the form with an error summary that links to the field.
  await page.getByLabel('Email address').fill('commissioner@council.example');
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('There is a problem').waitFor();
  await checkA11y(page, 'sign-in error');
  await page.close();
});

test('every role sees an accessible dashboard that starts with their to-do list', async () => {
  const roles = {
    'admin@council.example': 'administrator',
    'commissioner@council.example': 'commissioner',
    'evaluator@council.example': 'evaluator',
    'contracts@council.example': 'contract-manager',
    'bids@meadowhomes.example': 'provider',
  };
  for (const [email, role] of Object.entries(roles)) {
    const page = await newPage(browser);
    const context = page.context();
    await login(page, BASE, email, PASSWORD);
    assert.match(page.url(), /\/dashboard$/, email);
    await page.getByRole('heading', { name: 'Things to do' }).waitFor();
    await checkA11y(page, `${email} dashboard`);
    await screenshot(page, `${role}-dashboard`);
    await context.close();
  }
});

test('the service navigation folds behind a Menu button on a phone, and the Beta banner asks for feedback', async () => {
  const page = await newPage(browser, { viewport: { width: 375, height: 800 } });
  await login(page, BASE, 'bids@meadowhomes.example', PASSWORD);
  const menu = page.getByRole('button', { name: 'Menu' });
  const bids = page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Your bids' });
  await menu.waitFor();
  assert.equal(await bids.isVisible(), false, 'the links are folded away at first');
  await menu.click();
  assert.equal(await bids.isVisible(), true, 'Menu shows the links');
  await checkA11y(page, 'dashboard at 375 px with the menu open');
  await page.getByRole('link', { name: 'feedback' }).click();
  await page.getByRole('heading', { name: 'Give feedback on this service' }).waitFor();
  await checkA11y(page, 'feedback page');
  // At 1280 px every link shows on one line, with no Menu button.
  await page.setViewportSize({ width: 1280, height: 800 });
  // GOV.UK Frontend hides the button when its media query changes, an event after the
  // resize: wait for it rather than reading at once (which failed under load).
  await menu.waitFor({ state: 'hidden', timeout: 5000 });
  const tops = await page.$$eval('.govuk-service-navigation__item', (items) => items.map((i) => Math.round(i.getBoundingClientRect().top)));
  assert.equal(new Set(tops).size, 1, `navigation on one line at 1280 px: ${tops}`);
  await page.context().close();
});

test('administrator pages pass axe and the user filter works', async () => {
  const page = await newPage(browser);
  const context = page.context();
  await login(page, BASE, 'admin@council.example', PASSWORD);
  for (const path of ['/admin/users', '/admin/users/new', '/admin/organisations', '/admin/organisations/new', '/admin/audit']) {
    await visit(page, path);
  }
  await page.goto(`${BASE}/admin/users`);
  await page.getByLabel('Role').selectOption('provider');
  await page.getByRole('button', { name: 'Filter users' }).click();
  await page.getByText('bids@brightcare.example').waitFor();
  assert.equal(await page.getByText('admin@council.example', { exact: true }).count(), 0);
  await page.getByRole('link', { name: 'Priya Shah' }).click();
  await checkA11y(page, 'edit user');
  await page.goto(`${BASE}/admin/organisations`);
  await page.getByRole('link', { name: 'Meadow Homes Ltd', exact: true }).click();
  await checkA11y(page, 'edit organisation');
  // A provider's people, and the account recovery form (with its errors).
  await page.goto(`${BASE}/admin/organisations`);
  await page.getByRole('link', { name: 'People at Meadow Homes Ltd' }).click();
  await checkA11y(page, 'provider people');
  await page.getByRole('button', { name: 'Send an account recovery invitation' }).click();
  await page.getByText('There is a problem').waitFor();
  await checkA11y(page, 'account recovery errors');
  // Submitting an empty new user shows accessible errors.
  await page.goto(`${BASE}/admin/users/new`);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('There is a problem').waitFor();
  await checkA11y(page, 'new user errors');
  await context.close();
});

test('a provider registers, signs in and updates its profile', async () => {
  const page = await newPage(browser);
  const context = page.context();
  await page.goto(`${BASE}/register`);
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByText('There is a problem').waitFor();
  await checkA11y(page, 'registration errors');
  await page.getByLabel('Legal name').fill('Willow Lodge Care Ltd');
  await page.getByLabel('Companies House number (if you have one)').fill('12312312');
  await page.getByLabel('Address line 1').fill('Willow Lodge, Station Road');
  await page.getByLabel('Town or city').fill('Droitwich');
  await page.getByLabel('Postcode').fill('WR9 8AA');
  await page.getByLabel('Severnside').check();
  await page.getByLabel('Your full name').fill('Sara Willow');
  await page.getByLabel('Your email address').fill('sara@willow.example');
  await page.getByLabel('Create a password').fill('willow trees by the river');
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await checkA11y(page, 'check your email');
  await page.goto(await emailedLink('sara@willow.example', '/register/confirm'));
  await checkA11y(page, 'finish registering');
  await page.getByRole('button', { name: 'Register my organisation' }).click();
  await page.waitForURL(/\/login/);
  await login(page, BASE, 'sara@willow.example', 'willow trees by the river');
  await visit(page, '/organisation', 'provider profile');
  // Invite a colleague, who joins from the emailed link.
  await page.getByRole('link', { name: 'People and invitations' }).click();
  await checkA11y(page, 'own people');
  await page.getByRole('link', { name: 'Invite a colleague' }).click();
  await page.getByRole('button', { name: 'Send the invitation' }).click();
  await page.getByText('There is a problem').waitFor();
  await checkA11y(page, 'invite errors');
  await page.getByLabel('Their full name').fill('Ola Willow');
  await page.getByLabel('Their work email address').fill('ola@willow.example');
  await page.getByRole('button', { name: 'Send the invitation' }).click();
  await page.getByText('Invitation sent').waitFor();
  await checkA11y(page, 'invitation sent');
  const joiner = await newPage(browser);
  await joiner.goto(await emailedLink('ola@willow.example', '/invitations/accept'));
  await checkA11y(joiner, 'accept invitation');
  await joiner.getByLabel('Choose a password').fill('passwordpassword');
  await joiner.getByRole('button', { name: 'Create my account' }).click();
  await joiner.getByText('easy to guess').first().waitFor();
  await checkA11y(joiner, 'accept invitation errors');
  await joiner.getByLabel('Choose a password').fill('otters under the bridge');
  await joiner.getByRole('button', { name: 'Create my account' }).click();
  await joiner.waitForURL(/\/login\?joined=1/);
  await login(joiner, BASE, 'ola@willow.example', 'otters under the bridge');
  await joiner.context().close();
  await page.goto(`${BASE}/organisation`);
  await page.getByRole('link', { name: 'Change these details' }).click();
  await checkA11y(page, 'edit own organisation');
  await page.getByLabel('Address line 2 (optional)').fill('Unit 4');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Unit 4').waitFor();
  await context.close();
});

test('the API reference is an accessible page, and the explorer runs from local assets', async () => {
  const page = await newPage(browser);
  await visit(page, '/api/docs', 'API reference');
  await page.getByRole('heading', { name: 'POST /api/v1/auth/token' }).waitFor();
  const failed = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  page.on('console', (m) => m.type() === 'error' && failed.push(m.text()));
  // The interactive explorer (Swagger UI) must load without any network beyond this server.
  await page.getByRole('link', { name: 'interactive explorer' }).click();
  await page.locator('.opblock').first().waitFor();
  assert.ok((await page.locator('.opblock').count()) > 5, 'operations are listed');
  assert.deepEqual(failed, []);
  await page.context().close();
});

/** The operation `tag-operationId` of the explorer, opened. */
async function openOperation(page, id) {
  const op = page.locator(`#operations-${id}`);
  await op.getByRole('button', { expanded: false }).first().click();
  await op.getByRole('button', { name: 'Try it out' }).waitFor();
  return op;
}

/** Choose "Try it out" (unless chosen already) then "Execute"; the answer's status and body. */
async function execute(op, body, { tried = false } = {}) {
  if (!tried) await op.getByRole('button', { name: 'Try it out' }).click();
  if (body !== undefined) await op.getByRole('textbox', { name: /^Request body/ }).fill(JSON.stringify(body));
  await op.getByRole('button', { name: 'Execute' }).click();
  const row = op.locator('.live-responses-table tbody tr').first();
  await row.waitFor();
  return {
    status: Number((await row.locator('.response-col_status').innerText()).trim()),
    body: await row.locator('.response-col_description pre').first().innerText(),
  };
}

test('the API explorer passes axe: as loaded, with an operation open, tried and answered, and signing in', async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/api/docs/explorer`);
  await page.locator('.opblock').first().waitFor();
  await checkA11y(page, 'API explorer');

  const token = await openOperation(page, 'auth-issue_token');
  await checkA11y(page, 'API explorer, operation open');
  await token.getByRole('tab', { name: 'Schema' }).first().click();
  await checkA11y(page, 'API explorer, request schema');
  await token.getByRole('button', { name: 'Try it out' }).click();
  await checkA11y(page, 'API explorer, trying an operation');
  const answer = await execute(token, { email: 'admin@council.example', password: PASSWORD }, { tried: true });
  assert.equal(answer.status, 200, answer.body);
  await checkA11y(page, 'API explorer, answer shown');

  await page.getByRole('button', { name: /Authorize/ }).first().click();
  await page.locator('.modal-ux').waitFor();
  await checkA11y(page, 'API explorer, authorisation dialog');
  await page.getByRole('textbox', { name: 'Value:' }).fill(JSON.parse(answer.body).access_token);
  await page.getByRole('button', { name: 'Authorize', exact: true }).last().click();
  await checkA11y(page, 'API explorer, authorised');
  await page.getByRole('button', { name: 'Close', exact: true }).last().click();
  await page.context().close();
});

test('a developer calls the API from the explorer under the strict Content-Security-Policy', async () => {
  // No bypassCSP here: the page must work as a browser enforces its policy, and any refusal
  // is logged as a console error.
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  const response = await page.goto(`${BASE}/api/docs/explorer`);
  const csp = response.headers()['content-security-policy'];
  assert.ok(csp && /script-src|default-src 'self'/.test(csp), `a CSP is sent: ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|blob:/);
  await page.locator('.opblock').first().waitFor();

  const token = await openOperation(page, 'auth-issue_token');
  const issued = await execute(token, { email: 'evaluator@council.example', password: PASSWORD });
  assert.equal(issued.status, 200, issued.body);
  await page.getByRole('button', { name: /Authorize/ }).first().click();
  await page.getByRole('textbox', { name: 'Value:' }).fill(JSON.parse(issued.body).access_token);
  await page.getByRole('button', { name: 'Authorize', exact: true }).last().click();
  await page.getByRole('button', { name: 'Close', exact: true }).last().click();

  const me = await execute(await openOperation(page, 'auth-get_me'));
  assert.equal(me.status, 200, me.body);
  assert.equal(JSON.parse(me.body).email, 'evaluator@council.example');
  // Opening an operation puts it in the address bar (deep linking still works).
  assert.match(page.url(), /#\/auth\/get_me$/);

  // A list, with a query parameter typed into its labelled field.
  const list = await openOperation(page, 'organisations-list_organisations');
  await list.getByRole('button', { name: 'Try it out' }).click();
  await list.getByRole('textbox', { name: /^per_page for GET/ }).fill('2');
  const organisations = await execute(list, undefined, { tried: true });
  assert.equal(organisations.status, 200, organisations.body);
  assert.equal(JSON.parse(organisations.body).items.length, 2);
  assert.deepEqual(errors, []);
  await context.close();
});
