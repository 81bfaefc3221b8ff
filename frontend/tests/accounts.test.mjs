// Browser journeys for account email and the machinery behind it: forgotten password and
// reset, notification preferences, and the administrator's jobs and email pages, with
// axe-core (WCAG 2.2 AA) on every page. The Rust test passes BASE_URL, RESET_LINK (from the
// queued email) and OUTBOX_ID.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, checkA11y, login } from './lib.mjs';

const BASE = process.env.BASE_URL;
const PASSWORD = process.env.DEMO_PASSWORD;
let browser;

before(async () => {
  browser = await launch();
});
after(async () => browser && (await browser.close()));

test('forgotten password pages pass axe and the reset works', async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/login`);
  await page.getByRole('link', { name: 'Forgotten your password?' }).click();
  await checkA11y(page, 'forgot password');
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByText('There is a problem').waitFor();
  await checkA11y(page, 'forgot password errors');
  await page.getByLabel('Email address').fill('someone@council.example');
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await checkA11y(page, 'check your email');

  await page.goto(process.env.RESET_LINK);
  await checkA11y(page, 'choose a new password');
  await page.getByLabel('New password', { exact: true }).fill('quiet harbour lanterns');
  await page.getByLabel('Type the new password again').fill('quiet harbour lantern');
  await page.getByRole('button', { name: 'Save the new password' }).click();
  await page.getByText('The passwords do not match').first().waitFor();
  await checkA11y(page, 'reset errors');
  await page.getByLabel('New password', { exact: true }).fill('quiet harbour lanterns');
  await page.getByLabel('Type the new password again').fill('quiet harbour lanterns');
  await page.getByRole('button', { name: 'Save the new password' }).click();
  await page.getByText('Your password has been changed').waitFor();
  await checkA11y(page, 'sign in after reset');
  await login(page, BASE, 'contracts@council.example', 'quiet harbour lanterns');
  assert.match(page.url(), /\/dashboard$/);
  await page.context().close();
});

test('notification preferences pass axe and save', async () => {
  const page = await newPage(browser);
  await login(page, BASE, 'bids@brightcare.example', PASSWORD);
  await page.getByRole('link', { name: 'Email notifications' }).click();
  await checkA11y(page, 'notification preferences');
  await page.getByLabel('Reablement').check();
  await page.getByRole('button', { name: 'Save my choices' }).click();
  await page.getByText('Your email choices are saved').waitFor();
  assert.ok(await page.getByLabel('Reablement').isChecked());
  await checkA11y(page, 'preferences saved');
  await page.context().close();
});

test('administrator jobs and email pages pass axe', async () => {
  const page = await newPage(browser);
  await login(page, BASE, 'admin@council.example', PASSWORD);
  await page.getByRole('link', { name: 'Jobs', exact: true }).click();
  await checkA11y(page, 'jobs');
  await page.getByRole('button', { name: 'Run now housekeeping' }).click();
  await page.getByText('will run as soon as a worker is free').waitFor();
  await checkA11y(page, 'jobs after run now');
  await page.getByRole('link', { name: 'Email', exact: true }).click();
  await checkA11y(page, 'outbox');
  await page.goto(`${BASE}/admin/outbox/${process.env.OUTBOX_ID}`);
  await page.getByText('Plain-text part').waitFor();
  await checkA11y(page, 'one email');
  await page.context().close();
});
