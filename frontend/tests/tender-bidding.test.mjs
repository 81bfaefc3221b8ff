// Browser journey, part 1: a commissioner builds and publishes a tender, and two providers
// find it and submit bids (one with the mouse, one with the keyboard alone), with
// axe-core (WCAG 2.2 AA) on every page. The Rust test passes
// BASE_URL and REFERENCE, then moves the deadline into the past before part 2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, checkA11y, login, fillDate, screenshot, checkBoth } from './lib.mjs';

const BASE = process.env.BASE_URL;
const PASSWORD = process.env.DEMO_PASSWORD;
const REFERENCE = process.env.REFERENCE;
const TITLE = 'Home care in Bredon Vale';
let browser;

before(async () => {
  browser = await launch();
});
after(async () => browser && (await browser.close()));

/** Adds a question the way the builder asks: the kind first, then that kind's fields. */
async function addQuestion(page, fields, { check = false } = {}) {
  await page.getByRole('link', { name: 'Add a question' }).click();
  if (check) await checkBoth(page, 'choose the kind of question');
  await page.getByLabel(fields.kind, { exact: true }).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  if (check) await checkBoth(page, `${fields.kind} fields`);
  if (fields.section) await page.locator('#new_section').fill(fields.section);
  else if (fields.inSection) await page.getByLabel('Section', { exact: true }).selectOption(fields.inSection);
  await page.getByLabel('Question', { exact: true }).fill(fields.title);
  if (fields.weight) await page.getByLabel('Weight, in percentage points').fill(fields.weight);
  if (fields.words) await page.getByLabel('Word limit (optional)').fill(fields.words);
  if (fields.pass) await page.getByRole('group', { name: /Which answer passes/ }).getByLabel('Yes').check();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Add the question' }).click()]);
  await page.getByText('Saved.').waitFor();
}

test('a commissioner builds and publishes a tender', async () => {
  // A browser set to a 12-hour clock (US English) still shows and takes 24-hour times.
  const page = await newPage(browser, { locale: 'en-US', timezoneId: 'America/New_York' });
  await login(page, BASE, 'commissioner@council.example', PASSWORD);
  await page.getByRole('link', { name: 'Procurements' }).first().click();
  await checkA11y(page, 'procurements');
  await page.getByRole('link', { name: 'Create a procurement' }).click();
  await checkA11y(page, 'new procurement');
  await page.getByRole('button', { name: 'Create procurement' }).click();
  await page.getByText('There is a problem').waitFor();
  await checkA11y(page, 'new procurement with errors');

  await page.getByLabel('Title').fill(TITLE);
  await page.getByLabel('Reference').fill(REFERENCE);
  await page.getByLabel('Description').fill('Home care for adults in Bredon Vale, paid by outcomes, from April 2027.');
  await page.getByLabel('Type of service').selectOption('domiciliary');
  await page.getByLabel('Bredon Vale').check();
  await page.getByLabel('Estimated value in pounds').fill('1200000');
  // A date missing its month is refused on that box, keeping what was typed.
  await fillDate(page, 'Clarification questions close', 10, '17:00');
  await page.getByRole('group', { name: 'Clarification questions close' }).getByLabel('Month').fill('');
  await page.getByRole('button', { name: 'Create procurement' }).click();
  await page.getByRole('link', { name: 'The clarification deadline must include a month' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'clarification_month');
  assert.match(await page.title(), /^Error: /);
  assert.equal(await page.getByRole('group', { name: 'Clarification questions close' }).getByLabel('Time (24-hour clock)').inputValue(), '17:00');
  await checkA11y(page, 'new procurement with a date error');
  await fillDate(page, 'Clarification questions close', 10, '5pm');
  await fillDate(page, 'Bids are due by', 14, '12:00');
  await fillDate(page, 'Planned award date', 40);
  await page.getByRole('button', { name: 'Create procurement' }).click();
  await page.getByText('Procurement created').waitFor();

  // The overview is a task list of the stages before publishing.
  await page.getByRole('heading', { name: 'Before publishing' }).waitFor();
  await checkBoth(page, 'procurement overview (draft)');
  await screenshot(page, 'commissioner-overview');
  await page.getByRole('link', { name: 'Describe the contract and timetable' }).click();
  assert.equal(
    await page.getByRole('group', { name: 'Clarification questions close' }).getByLabel('Time (24-hour clock)').inputValue(),
    '17:00',
    '"5pm" is kept as 17:00 and shown on the 24-hour clock in a 12-hour locale',
  );
  await page.getByRole('link', { name: 'Back', exact: true }).click();

  // Publishing now is refused with every problem listed, each linked to its fix.
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByText('There is a problem').waitFor();
  assert.match(page.url(), /\?problems=publish$/);
  assert.match(await page.title(), /^Error: /);
  const problems = page.locator('.govuk-error-summary__list a');
  assert.ok((await problems.count()) >= 2, 'every problem is listed');
  await page.getByRole('link', { name: 'Questionnaire: Add at least one question' }).waitFor();
  await checkBoth(page, 'publish refused');
  await screenshot(page, 'commissioner-publish-errors');
  await page.getByRole('link', { name: 'Record the conflicts assessment' }).first().click();
  assert.match(page.url(), /\/conflicts-assessment#assessment$/);
  await checkBoth(page, 'conflicts assessment');
  await page.getByLabel('Conflicts assessment').fill('The commissioning team and both evaluators confirmed no links with local home care providers.');
  await page.getByRole('button', { name: 'Save the conflicts assessment' }).click();
  await page.getByText('Conflicts assessment recorded').waitFor();

  await page.getByRole('link', { name: 'Write the questions' }).click();
  await checkBoth(page, 'empty questionnaire');
  await addQuestion(page, { section: 'Eligibility', kind: 'Pass or fail', title: 'Is your service registered with CQC for personal care?', pass: true }, { check: true });
  await addQuestion(page, { section: 'Quality', kind: 'Scored quality question', title: 'How will you keep people safe?', weight: '60', words: '250' });
  await addQuestion(page, { section: 'Price', kind: 'Price', title: 'Your price for the first year', weight: '30' });
  await addQuestion(page, { section: 'Social value', kind: 'Social value (scored)', title: 'How will you create local jobs?', weight: '10', words: '200' });
  await addQuestion(page, { section: 'Evidence', kind: 'Evidence (file upload)', title: 'Your insurance certificate' });
  await page.getByText('Weights total 100%').waitFor();
  // Change a question: every field is there as it was.
  await page.getByRole('link', { name: 'Change Q2' }).click();
  assert.equal(await page.getByLabel('Word limit (optional)').inputValue(), '250');
  await checkBoth(page, 'change a question');
  await page.getByLabel('Word limit (optional)').fill('300');
  await page.getByRole('button', { name: 'Save the question' }).click();
  await page.getByText('Scored quality question, weight 60%, up to 300 words').waitFor();
  // Reorder: a question added last moves up; then it goes again, after a confirmation.
  await addQuestion(page, { inSection: 'Evidence', kind: 'Information (not scored)', title: 'Anything else we should know?' });
  await page.getByRole('button', { name: 'Move up Q6' }).click();
  await page.getByText('Question moved.').waitFor();
  const ids = await page.locator('.govuk-summary-list__key').allTextContents();
  assert.ok(ids.indexOf('Q6') < ids.indexOf('Q5'), `Q6 moved above Q5: ${ids}`);
  await checkBoth(page, 'questionnaire with questions');
  await screenshot(page, 'commissioner-questionnaire');
  await page.getByRole('button', { name: 'Remove Q6' }).click();
  await page.getByRole('button', { name: 'Yes, remove the question' }).click();
  await page.getByText('Saved.').waitFor();

  await page.getByRole('link', { name: 'Back to the procurement' }).click();
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByText('Published. Providers can now see this opportunity').waitFor();
  await page.getByRole('heading', { name: 'Stages of the procurement' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Before publishing' }).count(), 0);
  await checkBoth(page, 'procurement overview (open)');
  await screenshot(page, 'commissioner-overview-open');

  // The timetable in a 12-hour browser: 17:00 is shown, typed and kept as 17:00.
  await page.getByRole('link', { name: 'Change the timetable' }).click();
  const due = page.getByRole('group', { name: 'Bids are due by' }).getByLabel('Time (24-hour clock)');
  assert.equal(await due.inputValue(), '12:00');
  await checkBoth(page, 'change the timetable');
  await due.fill('17:00');
  await page.getByLabel('Why the timetable is changing').fill('Five more hours, after a question about the pricing model.');
  await page.getByRole('button', { name: 'Change the timetable' }).click();
  await page.getByText('Timetable changed').waitFor();
  await page.getByRole('link', { name: 'Change the timetable' }).click();
  assert.equal(await due.inputValue(), '17:00');
  assert.equal(
    await page.getByRole('group', { name: 'Clarification questions close' }).getByLabel('Time (24-hour clock)').inputValue(),
    '17:00',
  );
  await page.context().close();
});

async function startBid(email) {
  const page = await newPage(browser);
  await login(page, BASE, email, PASSWORD);
  await page.getByRole('link', { name: 'Opportunities' }).first().click();
  await checkA11y(page, 'opportunities');
  await page.getByRole('link', { name: TITLE }).click();
  await checkA11y(page, 'opportunity');
  await page.getByRole('button', { name: 'Start your bid' }).click();
  await page.getByRole('heading', { name: `Your bid for ${TITLE}` }).waitFor();
  return page;
}

async function saveAndContinue(page) {
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Save and continue' }).click()]);
  await page.getByText('Your draft is saved.').waitFor();
}

// A provider bids with the mouse: the task list, each section's page, check answers,
// submit, and the confirmation panel.
async function submitBid(email, answers) {
  const page = await startBid(email);
  await checkBoth(page, 'bid task list');
  await screenshot(page, 'provider-bid-task-list');
  assert.ok(await page.getByText('Cannot start yet').isVisible());
  const taskList = page.url();

  await page.getByRole('link', { name: 'Eligibility', exact: true }).click();
  await checkBoth(page, 'bid section (pass or fail)');
  await page.getByRole('group', { name: /registered with CQC/ }).getByLabel('Yes').check();
  await saveAndContinue(page);

  await page.getByRole('link', { name: 'Quality', exact: true }).click();
  // The section page saves what is typed in the background, and says so.
  await page.getByLabel('Q2 How will you keep people safe?').pressSequentially(answers.safety.slice(0, 12));
  await page.getByText(/Draft saved at/).waitFor();
  await page.getByLabel('Q2 How will you keep people safe?').fill(answers.safety);
  await checkBoth(page, 'bid section (written answer)');
  await screenshot(page, 'provider-bid-section');
  await saveAndContinue(page);

  // Submitting too soon: each error links to the question on its own page.
  await page.goto(`${taskList}/check`);
  await page.getByRole('button', { name: 'Submit your bid' }).click();
  await page.getByText('There is a problem').waitFor();
  await checkBoth(page, 'check answers with errors');
  await page.getByRole('link', { name: /Q3: Enter a price/ }).click();
  await page.getByRole('heading', { name: 'Price', exact: true }).waitFor();

  // A price that is not money is refused on its box, kept as typed.
  await page.getByLabel('Q3 Your price for the first year').fill('about a million');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await page.getByText('There is a problem').waitFor();
  await checkBoth(page, 'bid section with an error');
  assert.equal(await page.getByLabel('Q3 Your price for the first year').inputValue(), 'about a million');
  await page.getByRole('link', { name: /Q3: enter the price in pounds and pence/ }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'answer-Q3');
  await page.getByLabel('Q3 Your price for the first year').fill(answers.price);
  await saveAndContinue(page);

  await page.getByRole('link', { name: 'Social value', exact: true }).click();
  await page.getByLabel('Q4 How will you create local jobs?').fill(answers.jobs);
  await saveAndContinue(page);

  await page.getByRole('link', { name: 'Evidence', exact: true }).click();
  await page.getByLabel('Upload a file for Q5').setInputFiles({
    name: 'insurance.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n'),
  });
  await page.getByRole('button', { name: 'Upload file for Q5' }).click();
  await page.getByText('File attached.').waitFor();
  await checkBoth(page, 'bid section after an upload');
  assert.ok(await page.getByRole('link', { name: 'insurance.pdf' }).isVisible());
  await saveAndContinue(page);

  await page.getByText('You have completed 5 of 5 sections').waitFor();
  await page.getByRole('link', { name: 'Check your answers and submit' }).click();
  await page.getByRole('heading', { name: 'Check your answers before submitting your bid' }).waitFor();
  await checkBoth(page, 'check answers');
  await screenshot(page, 'provider-bid-check-answers');
  assert.ok(await page.getByText(answers.safety).isVisible());
  await page.getByRole('button', { name: 'Submit your bid' }).click();
  await page.getByRole('heading', { name: 'Bid submitted' }).waitFor();
  await checkBoth(page, 'bid submitted');
  await screenshot(page, 'provider-bid-submitted');
  assert.ok(await page.getByText('Your receipt number is a fingerprint').isVisible());

  await page.getByRole('link', { name: 'Your bids' }).first().click();
  await checkA11y(page, 'your bids');
  assert.ok(await page.getByText('Submitted').first().isVisible());
  await page.context().close();
}

// What has the keyboard focus, in words a failure can show.
async function focusOf(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    return {
      tag: e?.tagName.toLowerCase(),
      id: e?.id || '',
      text: (e?.innerText || '').trim(),
    };
  });
}

// Presses Tab until the focus is on what `wanted` accepts.
async function tabTo(page, wanted, what, max = 100) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (wanted(await focusOf(page))) return;
  }
  throw new Error(`${what} was not reached with Tab (last focus: ${JSON.stringify(await focusOf(page))})`);
}

const link = (text) => (f) => f.tag === 'a' && f.text.startsWith(text);
const button = (text) => (f) => f.tag === 'button' && f.text.startsWith(text);
const input = (id) => (f) => f.id === id;

async function pressAndWait(page, key) {
  await Promise.all([page.waitForNavigation(), page.keyboard.press(key)]);
}

// A provider bids with the keyboard alone: Tab, Space, Enter and typing, from the task
// list to the confirmation panel.
async function submitBidByKeyboard(email, answers) {
  const page = await startBid(email);
  const section = async (title, fill) => {
    await tabTo(page, link(title), `the ${title} task`);
    await pressAndWait(page, 'Enter');
    await fill();
    await tabTo(page, button('Save and continue'), 'Save and continue');
    await pressAndWait(page, 'Enter');
    await page.getByText('Your draft is saved.').waitFor();
  };
  await section('Eligibility', async () => {
    await tabTo(page, input('answer-Q1-yes'), 'the Yes radio');
    await page.keyboard.press('Space');
    assert.ok(await page.getByRole('group', { name: /registered with CQC/ }).getByLabel('Yes').isChecked());
  });
  await section('Quality', async () => {
    await tabTo(page, input('answer-Q2'), 'Q2');
    await page.keyboard.type(answers.safety);
  });
  await section('Price', async () => {
    await tabTo(page, input('answer-Q3'), 'Q3');
    await page.keyboard.type(answers.price);
  });
  await section('Social value', async () => {
    await tabTo(page, input('answer-Q4'), 'Q4');
    await page.keyboard.type(answers.jobs);
  });
  await section('Evidence', async () => {
    await tabTo(page, input('file-Q5'), 'the file input');
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
    await chooser.setFiles({
      name: 'insurance.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n'),
    });
    await tabTo(page, button('Upload file'), 'Upload file');
    await pressAndWait(page, 'Enter');
    await page.getByText('File attached.').waitFor();
  });
  await tabTo(page, link('Check your answers and submit'), 'the check answers task');
  await pressAndWait(page, 'Enter');
  await tabTo(page, button('Submit your bid'), 'Submit your bid');
  await pressAndWait(page, 'Enter');
  await page.getByRole('heading', { name: 'Bid submitted' }).waitFor();
  await page.context().close();
}

test('two providers find the tender and submit bids', async () => {
  await submitBid('bids@brightcare.example', {
    safety: 'Every care worker completes safeguarding training before their first visit. Concerns go to a named lead the same day, and we review every alert with the council within five working days.',
    price: '1,150,000.00',
    jobs: 'We will recruit twelve care workers living in Bredon Vale and pay the Real Living Wage.',
  });
  await submitBidByKeyboard('bids@meadowhomes.example', {
    safety: 'We follow the council safeguarding policy.',
    price: '1,090,000',
    jobs: 'We hope to recruit locally.',
  });
});
