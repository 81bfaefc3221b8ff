// Browser journey: a commissioner sets up a dynamic market through its task list (the
// form, each lot's conditions of membership, the notice of intention, check your answers,
// establishing after a confirmation), and a provider reads it; axe-core (WCAG 2.2 AA) on
// every page at 1280 and 375 px. The Rust test passes BASE_URL and REFERENCE.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, login, checkBoth } from './lib.mjs';

const BASE = process.env.BASE_URL;
const PASSWORD = process.env.DEMO_PASSWORD;
const REFERENCE = process.env.REFERENCE;
const TITLE = 'Community support for autistic adults';
let browser;

before(async () => {
  browser = await launch();
});
after(async () => browser && (await browser.close()));

async function fillDate(page, legend, day, month, year) {
  const group = page.getByRole('group', { name: legend });
  await group.getByLabel('Day').fill(day);
  await group.getByLabel('Month').fill(month);
  await group.getByLabel('Year').fill(year);
}

async function addCondition(page, title, judged) {
  await page.getByLabel('The condition, as a question').fill(title);
  if (judged) await page.getByLabel('A written answer the panel judges pass or fail').check();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Add the condition' }).click()]);
  await page.getByText('Condition added.').waitFor();
}

test('a commissioner sets up and establishes a dynamic market', async () => {
  const page = await newPage(browser);
  await login(page, BASE, 'commissioner@council.example', PASSWORD);
  await page.getByRole('link', { name: 'See your DPSs' }).click();
  await checkBoth(page, 'DPS list');
  await page.getByRole('link', { name: 'Set up a DPS' }).click();
  await checkBoth(page, 'new DPS');
  // Nothing typed but the defaults: every problem listed, each linked to its input.
  await page.getByRole('button', { name: 'Create the DPS' }).click();
  await page.getByText('There is a problem').waitFor();
  assert.match(await page.title(), /^Error: /);
  await checkBoth(page, 'new DPS with errors');

  await page.getByLabel('Name').fill(TITLE);
  await page.getByLabel('Reference').fill(REFERENCE);
  await page.getByLabel('Description').fill('Support in the community for autistic adults, from April 2026.');
  await fillDate(page, 'The term starts', '1', '4', '2026');
  await fillDate(page, 'The term ends', '31', '3', '2030');
  await page.getByLabel('Supported living').check();
  await page.getByLabel('Day opportunities').check();
  await page.getByLabel('Lots').fill('Support at home\nSupport in the community');
  await page.getByRole('button', { name: 'Create the DPS' }).click();
  await page.getByText('DPS created').waitFor();
  await page.getByRole('heading', { name: 'Setting up the DPS' }).waitFor();
  await checkBoth(page, 'DPS task list');

  await page.getByRole('link', { name: 'Lot 1: Support at home, conditions of membership' }).click();
  await checkBoth(page, 'lot conditions, empty');
  await page.getByRole('button', { name: 'Add the condition' }).click();
  await page.getByRole('link', { name: 'Enter the condition, as a question applicants answer' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'title');
  await checkBoth(page, 'lot conditions with an error');
  await addCondition(page, 'Are you registered with the CQC for personal care?', false);
  await addCondition(page, 'How do you support autistic adults to plan their week?', true);
  await checkBoth(page, 'lot conditions, two');
  await page.getByRole('button', { name: 'Remove Q2' }).click();
  await page.getByRole('heading', { name: 'Are you sure you want to remove this condition?' }).waitFor();
  await checkBoth(page, 'remove a condition');
  await page.getByRole('button', { name: 'Remove the condition' }).click();
  await page.getByText('Condition removed.').waitFor();
  await page.getByRole('link', { name: 'Back', exact: true }).click();

  await page.getByRole('link', { name: 'Lot 2: Support in the community, conditions of membership' }).click();
  await addCondition(page, 'Do you hold public liability insurance of at least £5 million?', false);
  await page.getByRole('link', { name: 'Back', exact: true }).click();

  await page.getByRole('link', { name: 'Prepare the notice of intention' }).click();
  await checkBoth(page, 'notices, none');
  await page.getByRole('button', { name: 'Prepare the notice of intention' }).click();
  await page.getByText('The notice of intention is prepared.').waitFor();
  await checkBoth(page, 'notices, intention');
  await page.getByRole('link', { name: 'Back', exact: true }).click();

  await page.getByRole('link', { name: 'Check your answers and establish the DPS' }).click();
  await checkBoth(page, 'check your answers');
  await page.getByRole('button', { name: 'Establish the DPS' }).click();
  await page.getByRole('heading', { name: `Are you sure you want to establish ${TITLE}?` }).waitFor();
  await checkBoth(page, 'establish confirmation');
  await page.getByRole('button', { name: 'Establish the DPS' }).click();
  await page.getByRole('heading', { name: 'DPS established' }).waitFor();
  await checkBoth(page, 'DPS established');
  await page.getByRole('link', { name: 'Go to the DPS' }).click();
  await page.getByText('Open to applications').waitFor();
  await checkBoth(page, 'established DPS');
  // Ending it early needs a reason, then a confirmation; the way back changes nothing.
  await page.getByRole('button', { name: 'Cease the DPS' }).click();
  await page.getByRole('link', { name: 'Say why the DPS is ending, in words providers will understand' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'reason');
  await checkBoth(page, 'cease without a reason');
  await page.getByLabel('Why is it ending?').fill('Replaced by the county framework.');
  await page.getByRole('button', { name: 'Cease the DPS' }).click();
  await page.getByRole('heading', { name: `Are you sure you want to cease ${TITLE}?` }).waitFor();
  await checkBoth(page, 'cease confirmation');
  await page.getByRole('link', { name: 'Keep it running' }).click();
  await page.getByText('Open to applications').waitFor();
});

test('a provider reads an established DPS and its conditions', async () => {
  const page = await newPage(browser);
  await login(page, BASE, 'bids@brightcare.example', PASSWORD);
  await page.getByRole('link', { name: 'See open DPSs' }).click();
  await checkBoth(page, 'provider DPS list');
  await page.getByRole('link', { name: new RegExp(TITLE) }).click();
  await page.getByText('Do you hold public liability insurance of at least £5 million?').waitFor();
  await checkBoth(page, 'provider DPS page');
});
