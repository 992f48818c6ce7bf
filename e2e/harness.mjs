// Test harness: starts the already-built `coffer` binary on a fresh database with
// demo data, and a headless Debian Chromium through playwright-core. Builds nothing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
export const BOOTSTRAP_TOKEN = 'e2e-operator-bootstrap-token-0001';
export const CHROMIUM = process.env.COFFER_CHROMIUM || '/usr/bin/chromium';

export const LOGINS = {
  operator: ['operator', 'coffer-demo-operator'],
  owner: ['owner@acme.example', 'coffer-demo-owner'],
  finance: ['finance@globex.example', 'coffer-demo-finance'],
  // Not a demo login: created once the server is up, so that large adjustments
  // have a second operator to approve them.
  operatorB: ['operator-b', 'coffer-e2e-operator-b'],
};

/** Creates the second operator in `db` with the CLI; the demo fills the rest. */
function createSecondOperator(bin, db) {
  const [user, password] = LOGINS.operatorB;
  const r = spawnSync(bin, ['--db', db, 'operator', 'create', '--login', user], {
    env: { ...process.env, COFFER_OPERATOR_PASSWORD: password },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`operator create failed: ${r.stderr}${r.error ?? ''}`);
}

/** Starts `coffer serve --demo` on a free port; resolves with { base, stop }. */
export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-e2e-'));
  const bin = join(ROOT, 'target', 'debug', 'coffer');
  const child = spawn(bin, ['--db', join(dir, 'e2e.db'), 'serve', '--demo', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, COFFER_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coffer did not start:\n${output}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const m = output.match(/Billing Center: (http:\/\/[^\s/]+)\//);
      if (m && output.includes('Coffer is serving')) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`coffer exited with ${code}:\n${output}`)); });
  });
  // After the server has started: an operator created before would stop the
  // bootstrap token from becoming the first operator's. SQLite serializes the two
  // processes' writes.
  try {
    createSecondOperator(bin, join(dir, 'e2e.db'));
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  }
  const stop = () => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  return { base, stop };
}

/** A fresh headless Chromium with its own temporary profile. */
export async function startBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'coffer-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/** Signs in through the login form; resolves when the landing page is shown. */
export async function login(page, base, who) {
  const [user, password] = LOGINS[who];
  await page.goto(`${base}/login`);
  await page.getByLabel('Login (email)').fill(user);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
}

export async function logout(page) {
  await Promise.all([page.waitForURL(/\/login$/), page.getByRole('button', { name: 'Log out' }).click()]);
}

/** Saves a full-page PNG under docs/screenshots/. */
export async function shot(page, name, { fullPage = true } = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}

/** "¥22,000.00" or "-¥5.00" → minor units. */
export function minor(text) {
  const negative = text.trim().startsWith('-');
  const digits = text.replace(/[^0-9]/g, '');
  return (negative ? -1 : 1) * Number(digits);
}
