// Browser journey, part 1: a commissioner builds and publishes a tender, and two providers
// find it and submit bids, with axe-core (WCAG 2.2 AA) on every page. The Rust test passes
// BASE_URL and REFERENCE, then moves the deadline into the past before part 2.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, checkA11y, login, fillDate } from './lib.mjs';

const BASE = process.env.BASE_URL;
const PASSWORD = process.env.DEMO_PASSWORD;
const REFERENCE = process.env.REFERENCE;
const TITLE = 'Home care in Bredon Vale';
let browser;

before(async () => {
  browser = await launch();
});
after(async () => browser && (await browser.close()));

async function addQuestion(page, fields) {
  if (fields.section) await page.getByLabel('Or start a new section').fill(fields.section);
  await page.getByLabel(fields.kind, { exact: true }).check();
  await page.getByLabel('Question', { exact: true }).fill(fields.title);
  if (fields.weight) await page.getByLabel('Weight, in percentage points').fill(fields.weight);
  if (fields.words) await page.getByLabel('Word limit').fill(fields.words);
  if (fields.pass) await page.getByRole('group', { name: /which answer passes/ }).getByLabel('Yes').check();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Add question' }).click()]);
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
  await checkA11y(page, 'procurement overview (draft)');
  await page.getByRole('link', { name: 'Change these details' }).click();
  assert.equal(
    await page.getByRole('group', { name: 'Clarification questions close' }).getByLabel('Time (24-hour clock)').inputValue(),
    '17:00',
    '"5pm" is kept as 17:00 and shown on the 24-hour clock in a 12-hour locale',
  );
  await page.goBack();

  await page.getByRole('link', { name: 'The questionnaire' }).click();
  await checkA11y(page, 'empty questionnaire');
  await addQuestion(page, { section: 'Eligibility', kind: 'Pass or fail', title: 'Is your service registered with CQC for personal care?', pass: true });
  await addQuestion(page, { section: 'Quality', kind: 'Scored quality question', title: 'How will you keep people safe?', weight: '60', words: '300' });
  await addQuestion(page, { section: 'Price', kind: 'Price', title: 'Your price for the first year', weight: '30' });
  await addQuestion(page, { section: 'Social value', kind: 'Social value (scored)', title: 'How will you create local jobs?', weight: '10', words: '200' });
  await addQuestion(page, { section: 'Evidence', kind: 'Evidence (file upload)', title: 'Your insurance certificate' });
  await page.getByText('Weights total 100%').waitFor();
  await checkA11y(page, 'questionnaire with questions');

  await page.getByRole('link', { name: 'Back to the procurement' }).click();
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByText('Record the conflicts assessment before publishing').first().waitFor();
  await checkA11y(page, 'publish refused');
  await page.getByLabel('Conflicts assessment').fill('The commissioning team and both evaluators confirmed no links with local home care providers.');
  await page.getByRole('button', { name: 'Save the conflicts assessment' }).click();
  await page.getByText('Conflicts assessment recorded').waitFor();
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByText('Published. Providers can now see this opportunity').waitFor();
  await checkA11y(page, 'procurement overview (open)');
  await page.context().close();
});

async function submitBid(email, answers) {
  const page = await newPage(browser);
  await login(page, BASE, email, PASSWORD);
  await page.getByRole('link', { name: 'Opportunities' }).first().click();
  await checkA11y(page, 'opportunities');
  await page.getByRole('link', { name: TITLE }).click();
  await checkA11y(page, 'opportunity');
  await page.getByRole('button', { name: 'Start your bid' }).click();
  await checkA11y(page, 'bid form');
  await page.getByRole('button', { name: 'Submit your bid' }).click();
  await page.getByText('There is a problem').waitFor();
  await checkA11y(page, 'bid form with errors');
  await page.getByRole('group', { name: /registered with CQC/ }).getByLabel('Yes').check();
  await page.getByLabel('Q2 How will you keep people safe?').fill(answers.safety);
  await page.getByLabel('Q3 Your price for the first year').fill(answers.price);
  // The page saves what is typed in the background, and says so.
  await page.getByLabel('Q4 How will you create local jobs?').pressSequentially(answers.jobs.slice(0, 12));
  await page.getByText(/Draft saved at/).waitFor();
  await page.getByLabel('Q4 How will you create local jobs?').fill(answers.jobs);
  // Uploading a file, as the page asks, keeps every typed answer (it once blanked them).
  await page.getByLabel('Upload a file for Q5').setInputFiles({
    name: 'insurance.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n'),
  });
  await page.getByRole('button', { name: 'Upload file for Q5' }).click();
  await page.getByText('File attached.').waitFor();
  await checkA11y(page, 'bid form after an upload');
  assert.equal(await page.getByLabel('Q2 How will you keep people safe?').inputValue(), answers.safety);
  assert.equal(await page.getByLabel('Q4 How will you create local jobs?').inputValue(), answers.jobs);
  assert.ok(await page.getByRole('link', { name: 'insurance.pdf' }).isVisible());
  await page.getByRole('button', { name: 'Submit your bid' }).click();
  await page.getByText('Your bid is submitted and sealed').waitFor();
  await checkA11y(page, 'bid submitted');
  await page.getByRole('link', { name: 'Your bids' }).first().click();
  await checkA11y(page, 'your bids');
  assert.ok(await page.getByText('Submitted').first().isVisible());
  await page.context().close();
}

test('two providers find the tender and submit bids', async () => {
  await submitBid('bids@brightcare.example', {
    safety: 'Every care worker completes safeguarding training before their first visit. Concerns go to a named lead the same day, and we review every alert with the council within five working days.',
    price: '1,150,000.00',
    jobs: 'We will recruit twelve care workers living in Bredon Vale and pay the Real Living Wage.',
  });
  await submitBid('bids@meadowhomes.example', {
    safety: 'We follow the council safeguarding policy.',
    price: '1,090,000',
    jobs: 'We hope to recruit locally.',
  });
});
