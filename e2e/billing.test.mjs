// The Billing Center in a real browser: login, recharge through the Alipay sandbox,
// voucher activation by code, buying a prepaid card with its bonus voucher, a bill
// settled through the API showing up in the statements, CSV export, and the
// operator console. Screenshots of the main pages go to docs/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, startBrowser, login, logout, shot, minor, BOOTSTRAP_TOKEN } from './harness.mjs';

let server;
let browser;
let page;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  page = await browser.context.newPage();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function cash() {
  await page.goto(`${server.base}/accounts/1`);
  return minor(await page.getByTestId('cash').textContent());
}

test('a wrong password is refused next to the form and a right one lands on the overview', async () => {
  await page.goto(`${server.base}/`);
  assert.match(page.url(), /\/login$/);
  await shot(page, 'login');
  await page.getByLabel('Login (email)').fill('owner@acme.example');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Invalid login or password.').waitFor();
  await login(page, server.base, 'owner');
  assert.match(page.url(), /\/accounts\/1$/);
  await page.getByRole('heading', { name: /Acme Observability/ }).waitFor();
  await page.getByTestId('runway').waitFor();
  await shot(page, 'overview');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'overview-phone');
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('a recharge paid in the Alipay sandbox raises the cash balance', async () => {
  const before = await cash();
  await page.goto(`${server.base}/accounts/1/recharge`);
  await page.getByTestId('reference').waitFor();
  await page.getByLabel(/^Amount/).fill('abc');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('#e-amount').waitFor();
  await shot(page, 'recharge');
  await page.getByLabel(/^Amount/).fill('500');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Pay ¥500.00 with Alipay' }).click();
  await page.waitForURL(/alipay-sandbox/);
  await shot(page, 'alipay-sandbox-cashier');
  await page.getByRole('button', { name: 'Scan and pay' }).click();
  await page.waitForURL(/\/recharge\/return/);
  await page.getByTestId('recharge-result').waitFor();
  await shot(page, 'recharge-result');
  // The notification or the return's own query credits the order; wait for either.
  let now = before;
  for (let i = 0; i < 40 && now < before + 50_000; i++) {
    now = await cash();
    if (now < before + 50_000) await page.waitForTimeout(250);
  }
  assert.equal(now, before + 50_000);
});

test('an operator generates an activation code that the owner then activates', async () => {
  await logout(page);
  await login(page, server.base, 'operator');
  await page.goto(`${server.base}/console/code-batches`);
  await page.getByLabel('Face value').fill('88');
  await page.getByLabel('Number of codes').fill('1');
  await page.getByLabel('Memo').fill('e2e campaign');
  await page.getByRole('button', { name: 'Generate codes' }).click();
  await page.getByTestId('batch').waitFor();
  await shot(page, 'console-code-batches');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /Download the codes/ }).click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8');
  const code = csv.trim().split('\n')[1].split(',')[1];
  assert.match(code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  await logout(page);

  await login(page, server.base, 'owner');
  await page.goto(`${server.base}/accounts/1/vouchers/activate`);
  await page.getByLabel('Activation code').fill(code.toLowerCase());
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Activate voucher' }).click();
  await page.getByText('Voucher activated.').waitFor();
  await page.getByTestId('vouchers').getByText('¥88.00').first().waitFor();
  await shot(page, 'vouchers');

  // The same code again is refused next to the field, and nothing changes.
  await page.goto(`${server.base}/accounts/1/vouchers/activate`);
  await page.getByLabel('Activation code').fill(code);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Activate voucher' }).click();
  await page.locator('#e-code').waitFor();
});

test('buying a prepaid card shows the bonus voucher before confirming and adds it', async () => {
  const before = await cash();
  await page.goto(`${server.base}/accounts/1/cards/buy`);
  await page.getByLabel(/^Face value/).fill('10000');
  await page.getByTestId('bonus').getByText('¥1,000.00').waitFor();
  await shot(page, 'buy-card');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('Bonus discount voucher').waitFor();
  await page.locator('dd', { hasText: '¥1,000.00' }).waitFor();
  await shot(page, 'buy-card-confirm');
  await page.getByRole('button', { name: 'Buy for ¥10,000.00' }).click();
  await page.getByText(/bonus discount voucher is now among your vouchers/).waitFor();
  await page.getByTestId('cards').getByText('¥10,000.00').first().waitFor();
  await shot(page, 'prepaid-cards');
  assert.equal(await cash(), before - 1_000_000);
  await page.goto(`${server.base}/accounts/1/vouchers?status=active`);
  await page.getByTestId('vouchers').getByRole('row', { name: /discount.*¥1,000\.00/ }).first().waitFor();
});

test('a bill settled through the API appears in the statements and in the CSV export', async () => {
  const billId = `e2e-${Date.now()}`;
  const today = new Date().toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' });
  const res = await fetch(`${server.base}/v1/charges`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ workspace_id: 'acme-prod', bill_id: billId, category: 'payg', amount_minor: 4321,
      currency: 'CNY', bill_date: today }),
  });
  assert.equal(res.status, 201, await res.text());
  await page.goto(`${server.base}/accounts/1/statements?tab=consumption`);
  await page.getByTestId('statement').getByText(billId).waitFor();
  await page.locator('svg.chart').waitFor();
  await shot(page, 'statements', { fullPage: false });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv').click()]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.ok(csv.includes(billId), 'the CSV holds the new bill');
  assert.ok(csv.split('\n')[0].includes('bill_id'), `a CSV header: ${csv.split('\n')[0]}`);
});

test('the remaining customer pages render for the owner', async () => {
  await page.goto(`${server.base}/accounts/1/workspaces`);
  await page.getByText('once per calendar month').waitFor();
  await shot(page, 'workspaces');
  await page.goto(`${server.base}/accounts/1/team`);
  await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  await shot(page, 'members-and-tokens');
  // Another account is answered like a missing one.
  const foreign = await page.goto(`${server.base}/accounts/2`);
  assert.equal(foreign.status(), 404);
  await page.goto(`${server.base}/accounts/1`);
  await logout(page);
});

test('the operator console lists and opens accounts', async () => {
  await login(page, server.base, 'operator');
  assert.match(page.url(), /\/console$/);
  await page.getByTestId('accounts').getByRole('link', { name: /Globex/ }).waitFor();
  await shot(page, 'console-accounts');
  await page.goto(`${server.base}/console/recharges`);
  await page.getByRole('heading', { name: 'Alipay notification log' }).waitFor();
  await shot(page, 'console-recharges');
  await page.goto(`${server.base}/console/accounts/1`);
  await page.getByRole('heading', { name: 'Issue a voucher' }).waitFor();
  await shot(page, 'console-account');
});

test('an operator records an unmatched bank transfer and matches it to the account', async () => {
  const before = await cash();
  const today = new Date().toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' });
  await page.goto(`${server.base}/console/bank-transfers`);
  await page.getByLabel('Bank transaction ID').fill(`E2E-BANK-${Date.now()}`);
  await page.getByLabel('Amount').fill('800');
  await page.getByLabel('Value date').fill(today);
  await page.getByLabel('Payer').fill('ACME OBSERVABILITY LTD');
  await page.getByLabel('Remittance reference').fill('invoice 2026-11');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Record the transfer' }).click();
  await page.getByText('waits in the unmatched queue').waitFor();
  const row = page.getByTestId('transfers').getByRole('row', { name: /ACME OBSERVABILITY LTD/ });
  await shot(page, 'console-bank-transfers');
  await row.getByRole('combobox').selectOption('1');
  await row.getByRole('button', { name: /Match transfer/ }).click();
  await page.getByText('Match this transfer to the account?').waitFor();
  await page.getByRole('button', { name: 'Match and credit' }).click();
  await page.getByText('Transfer credited to the account.').waitFor();
  assert.equal(await cash(), before + 80_000);
});

test('operator A asks for a large adjustment and operator B approves it in the console', async () => {
  const before = await cash();
  await page.goto(`${server.base}/console/accounts/1`);
  const form = page.locator('section', { has: page.getByRole('heading', { name: 'Adjust cash' }) });
  await form.getByLabel(/^Amount/).fill('20000');
  await form.getByLabel(/^Reason/).fill('e2e goodwill credit');
  await form.getByRole('button', { name: 'Continue' }).click();
  await page.getByText("Adjust this account's cash?").waitFor();
  await page.getByRole('button', { name: 'Adjust cash' }).click();
  await page.getByText('it waits for a second operator').waitFor();
  assert.equal(await cash(), before, 'nothing moves before approval');
  await logout(page);

  await login(page, server.base, 'operatorB');
  await page.goto(`${server.base}/console/adjustments`);
  const row = page.getByTestId('adjustments').getByRole('row', { name: /e2e goodwill credit/ });
  await shot(page, 'console-adjustments');
  await row.getByRole('button', { name: /Approve adjustment/ }).click();
  await page.getByText('Approve this adjustment?').waitFor();
  await page.getByRole('button', { name: 'Approve and apply' }).click();
  await page.getByText('Adjustment approved and applied.').waitFor();
  assert.equal(await cash(), before + 2_000_000);
});

test('an operator runs a delivery pass from the cloud outbox page', async () => {
  await page.goto(`${server.base}/console/cloud-outbox`);
  await page.getByRole('heading', { name: 'Cloud outbox' }).waitFor();
  await page.getByRole('button', { name: 'Deliver now' }).click();
  await page.getByText('Delivery pass done').waitFor();
  await page.getByRole('link', { name: 'Delivered' }).click();
  await page.waitForURL(/state=delivered/);
  await shot(page, 'console-outbox');
});
