// Browser journeys for provider evidence, with axe-core (WCAG 2.2 AA) on every page at
// 1280 and 375 px: a provider adds an insurance, gets an error, puts it right without
// choosing the certificate again, checks the answers and saves; then removes it after the
// confirmation. A commissioner sees the providers with a concern and records a rating.
// The Rust test passes BASE_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, checkA11y, checkBoth, fillDate, login } from './lib.mjs';

const BASE = process.env.BASE_URL;
const PASSWORD = process.env.DEMO_PASSWORD;
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
let browser;

before(async () => {
  browser = await launch();
});
after(async () => browser && (await browser.close()));

for (const width of [1280, 375]) {
  test(`a provider adds an insurance with an error, then puts it right, at ${width} px`, async () => {
    const page = await newPage(browser, { viewport: { width, height: 800 } });
    const insurer = `Cover Mutual ${width}`;
    await login(page, BASE, 'bids@brightcare.example', PASSWORD);
    await page.goto(`${BASE}/organisation`);
    await page.getByRole('link', { name: 'Your insurances' }).click();
    await checkA11y(page, `insurances at ${width}`);
    await page.getByRole('link', { name: 'Add an insurance' }).click();
    await checkA11y(page, `add an insurance at ${width}`);

    // The insurer is forgotten: the page says so beside it, and keeps the certificate.
    await page.getByLabel('Professional indemnity').check();
    await page.getByLabel('Limit of cover').fill('2,500,000');
    await fillDate(page, 'Start date', -30);
    await fillDate(page, 'Expiry date', 335);
    await page.getByLabel('Certificate of insurance').setInputFiles({
      name: 'indemnity.pdf', mimeType: 'application/pdf', buffer: PDF,
    });
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('There is a problem').waitFor();
    assert.match(await page.title(), /^Error: /);
    await checkA11y(page, `insurance errors at ${width}`);
    await page.getByRole('link', { name: 'Enter the name of the insurer' }).click();
    await page.getByText('You have uploaded indemnity.pdf').waitFor();

    await page.getByLabel('Insurer', { exact: true }).fill(insurer);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Check your answers before saving this insurance' }).waitFor();
    await page.getByText('£2,500,000.00').waitFor();
    await checkA11y(page, `check your answers at ${width}`);
    await page.getByRole('button', { name: 'Save insurance' }).click();
    await page.getByText('Insurance added').waitFor();
    await page.getByRole('cell', { name: insurer }).waitFor();
    await checkA11y(page, `insurance added at ${width}`);

    // Removing it asks first.
    const row = page.getByRole('row').filter({ hasText: insurer });
    await row.getByRole('button', { name: /Remove/ }).click();
    await page.getByRole('heading', { name: /Are you sure you want to remove/ }).waitFor();
    await checkA11y(page, `remove an insurance at ${width}`);
    await page.getByRole('button', { name: 'Yes, remove it' }).click();
    await page.getByText('Insurance removed').waitFor();
    assert.equal(await page.getByRole('cell', { name: insurer }).count(), 0);
    await page.context().close();
  });
}

test('a commissioner sees the providers with a concern and records a rating', async () => {
  const page = await newPage(browser);
  await login(page, BASE, 'commissioner@council.example', PASSWORD);
  await page.getByRole('link', { name: 'See providers with a concern' }).click();
  await checkBoth(page, 'providers with a concern');
  await page.getByRole('link', { name: 'Meadow Homes Ltd' }).first().click();
  await checkBoth(page, 'provider evidence');
  await page.getByRole('link', { name: 'Record a new rating for Meadow View Nursing Home' }).click();
  await page.getByLabel('Good', { exact: true }).check();
  await page.getByRole('button', { name: 'Record rating' }).click();
  await page.getByText('There is a problem').waitFor();
  await checkBoth(page, 'rating errors');
  await fillDate(page, 'Date of the CQC report', -1);
  await page.getByRole('button', { name: 'Record rating' }).click();
  await page.getByText('CQC rating recorded').waitFor();
  await page.getByText('Inadequate to Good').waitFor();
  await checkBoth(page, 'rating recorded');
  await page.context().close();
});
