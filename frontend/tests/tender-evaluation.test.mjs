// Browser journey, part 2 (after the deadline): the commissioner opens the bids and sets
// the panel, two evaluators declare their interests and score (each step checked before
// it is final; the second evaluator uses only the keyboard), the commissioner moderates
// and awards, and both providers read their outcome. axe-core runs on every page. The Rust
// test passes BASE_URL, TITLE, SECOND_EVALUATOR and SECOND_PASSWORD.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, newPage, checkA11y, login, keyboardLogin, screenshot, checkBoth } from './lib.mjs';

const BASE = process.env.BASE_URL;
const PASSWORD = process.env.DEMO_PASSWORD;
const TITLE = process.env.TITLE;
let browser;

before(async () => {
  browser = await launch();
});
after(async () => browser && (await browser.close()));

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

const BIDDERS = ['Bright Care Services Ltd', 'Meadow Homes Ltd'];

// Declares no conflict with anyone, after one wrong attempt (Yes without details for the
// first bidder, nothing for the second) that must keep the answer and link each error.
async function declareWithMouse(page, shots) {
  await page.getByRole('link', { name: 'Declare conflicts of interest' }).click();
  await page.getByRole('heading', { name: 'Declare conflicts of interest' }).waitFor();
  await checkBoth(page, 'declarations');
  if (shots) await screenshot(page, 'evaluator-declarations');
  const group = (bidder) => page.getByRole('group', { name: `Do you have a conflict of interest with ${bidder}?` });
  await group(BIDDERS[0]).getByLabel('Yes', { exact: true }).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
  assert.match(await page.title(), /^Error: /);
  const details = page.getByRole('link', { name: `Describe your conflict of interest with ${BIDDERS[0]}` });
  const unanswered = page.getByRole('link', { name: `Say whether you have a conflict of interest with ${BIDDERS[1]}` });
  assert.equal(await details.getAttribute('href'), '#details-0');
  assert.equal(await unanswered.getAttribute('href'), '#interest-1');
  assert.ok(await group(BIDDERS[0]).getByLabel('Yes', { exact: true }).isChecked(), 'the answer typed is kept');
  assert.ok(await page.locator('#details-0.govuk-textarea--error').isVisible(), 'the details box has a red border');
  await checkBoth(page, 'declarations with errors');
  if (shots) await screenshot(page, 'evaluator-declaration-errors');
  await unanswered.click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'interest-1');
  for (const bidder of BIDDERS) await group(bidder).getByLabel('No', { exact: true }).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Check your declarations' }).waitFor();
  await checkBoth(page, 'check your declarations');
  if (shots) await screenshot(page, 'evaluator-check-declarations');
  // Change goes back to the form with every answer still chosen.
  await page.getByRole('link', { name: `Change Conflict of interest with ${BIDDERS[0]}` }).click();
  await page.getByRole('heading', { name: 'Declare conflicts of interest' }).waitFor();
  for (const bidder of BIDDERS) assert.ok(await group(bidder).getByLabel('No', { exact: true }).isChecked());
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Confirm my declarations' }).click();
  await page.getByText('Your declarations are confirmed').waitFor();
}

// Scores one bid: a first Continue with a reason missing comes back with the error linked
// and the scores kept; then check your answers, then "Submit my scores".
async function scoreWithMouse(page, bidder, scores, shots) {
  await page.getByRole('link', { name: `Score ${bidder}'s bid` }).click();
  await page.getByRole('heading', { name: `Score ${bidder}'s bid` }).waitFor();
  await checkBoth(page, `score sheet for ${bidder}`);
  if (shots) await screenshot(page, 'evaluator-scoring');
  const entries = Object.entries(scores);
  for (const [question, [score, reason]] of entries) {
    await page.getByRole('group', { name: `Your score for ${question}` }).getByLabel(new RegExp(`^${score}:`)).check();
    await page.getByLabel(`Your reason for ${question}`).fill(reason);
  }
  const [lastQuestion] = entries[entries.length - 1];
  await page.getByLabel(`Your reason for ${lastQuestion}`).fill('');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
  const link = page.getByRole('link', { name: `Give your reason for the score for ${lastQuestion}` });
  assert.equal(await link.getAttribute('href'), `#reason-${lastQuestion}`);
  const [firstQuestion, [firstScore, firstReason]] = entries[0];
  assert.equal(await page.getByLabel(`Your reason for ${firstQuestion}`).inputValue(), firstReason);
  assert.ok(await page.getByRole('group', { name: `Your score for ${firstQuestion}` }).getByLabel(new RegExp(`^${firstScore}:`)).isChecked());
  await checkBoth(page, `score sheet with errors for ${bidder}`);
  await link.click();
  await page.getByLabel(`Your reason for ${lastQuestion}`).fill(scores[lastQuestion][1]);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: `Check your scores for ${bidder}'s bid` }).waitFor();
  await checkBoth(page, `check your scores for ${bidder}`);
  if (shots) await screenshot(page, 'evaluator-check-scores');
  await page.getByRole('button', { name: 'Submit my scores' }).click();
  await page.getByText('Your scores are submitted').waitFor();
}

async function evaluate(email, password, marks) {
  const page = await newPage(browser);
  await login(page, BASE, email, password);
  await openProcurement(page);
  await page.getByRole('heading', { name: /^Your evaluation of / }).waitFor();
  await checkBoth(page, 'evaluator to-do list');
  await screenshot(page, 'evaluator-to-do');
  await declareWithMouse(page, true);
  await checkBoth(page, 'to-do list after declaring');
  let shots = true;
  for (const [bidder, scores] of Object.entries(marks)) {
    await scoreWithMouse(page, bidder, scores, shots);
    shots = false;
  }
  await page.getByText('You have completed 3 of 3 tasks').waitFor();
  await checkBoth(page, 'to-do list, all done');
  await page.context().close();
}

// Keyboard only: Tab until the focused element matches, as a keyboard user would.
async function tabTo(page, what, matches, max = 400) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const e = document.activeElement;
      return { id: e.id, tag: e.tagName.toLowerCase(), text: (e.innerText || e.value || '').trim() };
    });
    if (matches(f)) return f;
  }
  throw new Error(`keyboard: ${what} not reached after ${max} Tabs`);
}

async function pressEnterAndWait(page) {
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

async function evaluateByKeyboard(email, password, marks) {
  const page = await newPage(browser);
  await keyboardLogin(page, BASE, email, password);
  await tabTo(page, 'the Procurements link', (f) => f.tag === 'a' && f.text === 'Procurements');
  await pressEnterAndWait(page);
  await tabTo(page, 'the procurement', (f) => f.tag === 'a' && f.text.includes(TITLE));
  await pressEnterAndWait(page);
  await page.getByRole('heading', { name: /^Your evaluation of / }).waitFor();
  await tabTo(page, 'the declarations task', (f) => f.text === 'Declare conflicts of interest');
  await pressEnterAndWait(page);
  for (let i = 0; i < BIDDERS.length; i++) {
    // Tab reaches a radio group at its first radio ("Yes"); the arrow chooses "No".
    await tabTo(page, `bidder ${i}'s radios`, (f) => f.id === `interest-${i}`);
    await page.keyboard.press('ArrowDown');
    assert.ok(await page.locator(`#interest-${i}-no`).isChecked());
  }
  await tabTo(page, 'Continue', (f) => f.tag === 'button' && f.text === 'Continue');
  await pressEnterAndWait(page);
  await page.getByRole('heading', { name: 'Check your declarations' }).waitFor();
  await tabTo(page, 'Confirm my declarations', (f) => f.tag === 'button' && f.text === 'Confirm my declarations');
  await pressEnterAndWait(page);
  await page.getByText('Your declarations are confirmed').waitFor();
  for (const [bidder, scores] of Object.entries(marks)) {
    await tabTo(page, `the task for ${bidder}`, (f) => f.tag === 'a' && f.text === `Score ${bidder}'s bid`);
    await pressEnterAndWait(page);
    for (const [question, [score, reason]] of Object.entries(scores)) {
      await tabTo(page, `the score for ${question}`, (f) => f.id === `score-${question}`);
      if (score === 0) await page.keyboard.press('Space');
      for (let n = 0; n < score; n++) await page.keyboard.press('ArrowDown');
      await tabTo(page, `the reason for ${question}`, (f) => f.id === `reason-${question}`);
      await page.keyboard.type(reason);
    }
    await tabTo(page, 'Continue', (f) => f.tag === 'button' && f.text === 'Continue');
    await pressEnterAndWait(page);
    await page.getByRole('heading', { name: `Check your scores for ${bidder}'s bid` }).waitFor();
    await tabTo(page, 'Submit my scores', (f) => f.tag === 'button' && f.text === 'Submit my scores');
    await pressEnterAndWait(page);
    await page.getByText('Your scores are submitted').waitFor();
  }
  await page.getByText('You have completed 3 of 3 tasks').waitFor();
  await page.context().close();
}

test('two evaluators declare and score, one by keyboard alone', async () => {
  await evaluate('evaluator@council.example', PASSWORD, {
    'Bright Care Services Ltd': { Q2: [4, 'A named lead and a five-day review.'], Q4: [4, 'Twelve local jobs at the Real Living Wage.'] },
    'Meadow Homes Ltd': { Q2: [2, 'Only restates the policy.'], Q4: [2, 'No commitment.'] },
  });
  await evaluateByKeyboard(process.env.SECOND_EVALUATOR, process.env.SECOND_PASSWORD, {
    'Bright Care Services Ltd': { Q2: [5, 'Clear and specific.'], Q4: [4, 'Specific numbers.'] },
    'Meadow Homes Ltd': { Q2: [2, 'No examples.'], Q4: [1, 'Vague.'] },
  });
});

test('the commissioner moderates and awards', async () => {
  const page = await newPage(browser);
  await login(page, BASE, 'commissioner@council.example', PASSWORD);
  await openProcurement(page);
  await page.getByRole('link', { name: 'Moderate scores' }).click();
  await page.getByText('0 of 4 questions moderated').waitFor();
  await checkBoth(page, 'moderation');
  await screenshot(page, 'commissioner-moderation');
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
  await page.getByText('4 of 4 questions moderated').waitFor();
  await page.getByText('Moderation is complete').waitFor();
  await checkBoth(page, 'moderation done');
  await page.getByRole('link', { name: 'See the results and award' }).click();
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
      // Each score says what it is out of, and who at the council answers questions.
      await page.getByText(/out of 60$/).first().waitFor();
      await page.getByText(/If you have questions about this decision, contact .*commissioner@council\.example/).waitFor();
      await screenshot(page, 'provider-assessment-summary');
    }
    await page.context().close();
  }
});
