// Browser journey, part 2 (after the deadline): the commissioner opens the bids and sets
// the panel, two evaluators declare their interests and score, the commissioner moderates
// and awards, and both providers read their outcome. axe-core runs on every page. The Rust
// test passes BASE_URL, TITLE, SECOND_EVALUATOR and SECOND_PASSWORD.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, newPage, checkA11y, login, screenshot } from './lib.mjs';

const BASE = process.env.BASE_URL;
const PASSWORD = process.env.DEMO_PASSWORD;
const TITLE = process.env.TITLE;
let browser;

before(async () => {
  browser = await launch();
});
after(async () => browser && (await browser.close()));

/** axe at both widths the guides show: desktop (1280 px) and a small phone (375 px). */
async function checkBoth(page, label) {
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 800 });
    await checkA11y(page, `${label} at ${width} px`);
  }
  await page.setViewportSize(size);
}

async function openProcurement(page) {
  await page.getByRole('link', { name: 'Procurements' }).first().click();
  await checkA11y(page, 'procurements list');
  await page.getByRole('link', { name: new RegExp(TITLE) }).click();
}

test('the commissioner opens the bids and sets the panel', async () => {
  const page = await newPage(browser);
  await login(page, BASE, 'commissioner@council.example', PASSWORD);
  await openProcurement(page);
  await checkA11y(page, 'closed procurement');
  await page.getByRole('link', { name: 'Open the bids' }).click();
  await checkA11y(page, 'bids received');
  await page.getByRole('button', { name: 'Open the bids' }).click();
  await page.getByText('The submissions are open').waitFor();
  await page.getByRole('link', { name: 'Evaluation panel' }).click();
  await checkA11y(page, 'panel');
  for (const box of await page.getByRole('checkbox').all()) await box.check();
  await page.getByRole('button', { name: 'Save the panel' }).click();
  await page.getByText('Panel saved').waitFor();
  await checkA11y(page, 'procurement in evaluation');
  await page.context().close();
});

async function evaluate(email, password, marks) {
  const page = await newPage(browser);
  await login(page, BASE, email, password);
  await openProcurement(page);
  await checkA11y(page, 'evaluator overview');
  await page.getByRole('link', { name: 'Declare your interests' }).click();
  await checkA11y(page, 'declarations');
  for (const group of await page.getByRole('group', { name: /Do you have an interest in/ }).all()) {
    await group.getByLabel('No').check();
  }
  await page.getByRole('button', { name: 'Confirm my declarations' }).click();
  await page.getByText('Declarations recorded').waitFor();
  for (const [bidder, scores] of Object.entries(marks)) {
    await page.getByRole('link', { name: `Score ${bidder}'s bid` }).click();
    await checkA11y(page, `score sheet for ${bidder}`);
    for (const [question, [score, reason]] of Object.entries(scores)) {
      await page.getByRole('group', { name: `Your score for ${question}` }).getByLabel(new RegExp(`^${score}:`)).check();
      await page.getByLabel(`Your reason for ${question}`).fill(reason);
    }
    await page.getByRole('button', { name: 'Submit my scores' }).click();
    await page.getByText('Your scores are submitted').waitFor();
    await checkA11y(page, `scores submitted for ${bidder}`);
    await page.getByRole('link', { name: 'Back to the procurement' }).click();
  }
  await page.context().close();
}

test('two evaluators declare and score', async () => {
  await evaluate('evaluator@council.example', PASSWORD, {
    'Bright Care Services Ltd': { Q2: [4, 'A named lead and a five-day review.'], Q4: [4, 'Twelve local jobs at the Real Living Wage.'] },
    'Meadow Homes Ltd': { Q2: [2, 'Only restates the policy.'], Q4: [2, 'No commitment.'] },
  });
  await evaluate(process.env.SECOND_EVALUATOR, process.env.SECOND_PASSWORD, {
    'Bright Care Services Ltd': { Q2: [5, 'Clear and specific.'], Q4: [4, 'Specific numbers.'] },
    'Meadow Homes Ltd': { Q2: [2, 'No examples.'], Q4: [1, 'Vague.'] },
  });
});

test('the commissioner moderates and awards', async () => {
  const page = await newPage(browser);
  await login(page, BASE, 'commissioner@council.example', PASSWORD);
  await openProcurement(page);
  await page.getByRole('link', { name: 'Moderate scores' }).click();
  await checkA11y(page, 'moderation');
  const agreed = {
    Q2: ['4', 'Bright Care named a safeguarding lead and gave a review timescale.', '2', 'The answer restated the council policy without saying how you would apply it.'],
    Q4: ['4', 'A specific commitment to twelve local jobs.', '2', 'No specific commitment to local jobs.'],
  };
  const forms = page.locator('form[action*="/moderation/"]');
  const count = await forms.count();
  assert.equal(count, 4);
  for (let i = 0; i < count; i++) {
    const form = page.locator('form[action*="/moderation/"]').nth(i);
    const action = await form.getAttribute('action');
    const question = action.split('/').pop();
    const heading = await form.locator('xpath=preceding::h2[1]').innerText();
    const bright = heading.startsWith('Bright');
    const [score, reason] = bright ? agreed[question].slice(0, 2) : agreed[question].slice(2, 4);
    await form.getByLabel(score, { exact: true }).check();
    await form.getByLabel(`Agreed reason for ${question}`).fill(reason);
    await Promise.all([page.waitForNavigation(), form.getByRole('button', { name: /Save agreed score/ }).click()]);
  }
  await checkA11y(page, 'moderation done');
  await page.getByRole('link', { name: 'See the results' }).click();
  await checkA11y(page, 'results');
  await page.getByRole('button', { name: 'Award' }).click();
  await page.getByRole('heading', { name: /^Award / }).waitFor();
  await checkA11y(page, 'confirm the award');
  await page.getByRole('button', { name: 'Yes, award' }).click();
  await page.getByText('Awarded. Every bidder has been emailed').waitFor();
  await page.getByText('Standstill ends').waitFor();
  await checkBoth(page, 'awarded, in standstill');
  // The results as a spreadsheet, and a page that prints without the navigation.
  await page.getByRole('link', { name: 'Results and award' }).click();
  await checkBoth(page, 'results after the award');
  await screenshot(page, 'commissioner-results');
  const [csv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download the results as a spreadsheet (CSV)' }).click(),
  ]);
  assert.match(csv.suggestedFilename(), /^results-.*\.csv$/);
  const text = readFileSync(await csv.path(), 'utf8');
  assert.match(text, /^Lot,Rank,Bidder,Quality score,Social value score,Price \(£\),Price score,Total score,Outcome,Abnormally low price/);
  assert.match(text, /Bright Care Services Ltd/);
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.govuk-service-navigation').isVisible(), false, 'no navigation when printed');
  await page.emulateMedia({ media: 'screen' });
  // The contract award notice as the fields to type into the central digital platform.
  await page.getByRole('link', { name: 'Back', exact: true }).click();
  await page.getByRole('link', { name: 'Standstill and contract award notice' }).click();
  await page.getByRole('heading', { name: 'Contract award notice', exact: true }).waitFor();
  assert.match(await page.locator('main').innerText(), /£[0-9,]+\.[0-9]{2}/);
  assert.match(await page.locator('main').innerText(), /\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}/);
  await checkBoth(page, 'standstill and the award notice');
  await screenshot(page, 'commissioner-notice');
  const [json] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download the notice as JSON' }).click(),
  ]);
  assert.equal(JSON.parse(readFileSync(await json.path(), 'utf8')).notice_type, 'UK6');
  await page.context().close();
});

test('providers read their outcome and assessment summary', async () => {
  for (const [email, outcome] of [['bids@meadowhomes.example', 'Your bid was not successful'], ['bids@brightcare.example', 'Your bid was successful']]) {
    const page = await newPage(browser);
    await login(page, BASE, email, PASSWORD);
    await page.getByRole('link', { name: 'Your bids' }).first().click();
    await checkA11y(page, 'your bids after award');
    await page.getByRole('link', { name: new RegExp(TITLE) }).click();
    await page.getByRole('heading', { name: outcome }).waitFor();
    await checkA11y(page, `outcome: ${outcome}`);
    if (email.startsWith('bids@meadow')) {
      await page.getByText('The answer restated the council policy').waitFor();
      await page.getByText('Bright Care named a safeguarding lead').waitFor();
    }
    await page.context().close();
  }
});
