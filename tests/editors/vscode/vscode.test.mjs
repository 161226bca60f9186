// End-to-end test of the gitops-ls extension in a real VS Code (code-server),
// driven through Debian's Chromium with playwright-core.
//
// Env: VSIX (the packaged extension), GITOPS_LS_E2E_MARKER (set on every
// process started here so run.sh can find leftovers), ARTIFACTS (screenshots,
// results.json), CHROMIUM (default /usr/bin/chromium).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const fixtures = join(repo, 'tests/fixtures/editors');
const artifacts = process.env.ARTIFACTS || join(repo, 'tests/artifacts/vscode');
const vsix = process.env.VSIX;
const codeServer = join(here, 'node_modules/.bin/code-server');
const isCtrl = process.platform === 'darwin' ? 'Meta' : 'Control';

// Which server feature each group of checks needs.
const NEEDS = {
  extension: 'extension + `gitops-ls --version`',
  'lsp-core': 'server: stdio LSP with YAML diagnostics',
  'schema-hover': 'server: hover from Kubernetes schemas',
  'schema-completion': 'server: completion of schema keys',
  'schema-info': 'server: the gitops-ls/schemaInfo request',
};

const results = [];
function record(group, name, ok, detail = '') {
  results.push({ group, name, ok, detail });
  console.log(`${ok ? 'PASS' : 'FAIL'} [${group}] ${name}${detail ? ` — ${detail}` : ''}`);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'gitops-ls-vscode-'));
const dirs = { ud: join(tmp, 'user-data'), ext: join(tmp, 'extensions'), ws: join(tmp, 'workspace') };
const marker = process.env.GITOPS_LS_E2E_MARKER || `GITOPS_LS_E2E_RUN=${tmp}`;
const [markerName, markerValue] = [marker.slice(0, marker.indexOf('=')), marker.slice(marker.indexOf('=') + 1)];
// GITOPS_LS_PATH is removed so the extension has to use its bundled binary.
const childEnv = { ...process.env, [markerName]: markerValue };
delete childEnv.GITOPS_LS_PATH;

const userSettings = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'editor.hover.delay': 200,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'window.restoreWindows': 'none',
};
function writeUserSettings(extra = {}) {
  mkdirSync(join(dirs.ud, 'User'), { recursive: true });
  writeFileSync(join(dirs.ud, 'User/settings.json'), JSON.stringify({ ...userSettings, ...extra }, null, 2));
}

let server;
let browser;
async function cleanup() {
  await browser?.close().catch(() => {});
  if (server?.pid) {
    try {
      process.kill(-server.pid, 'SIGTERM'); // the whole process group started with `detached`
    } catch {}
  }
  // Extension host and language server may have left the group: find them by marker.
  spawnSync('bash', ['-c', `source "${join(here, '../lib.sh')}" && kill_marked "$1"`, 'x', marker], { stdio: 'inherit' });
}

async function main() {
  if (!vsix) throw new Error('VSIX is not set');
  mkdirSync(artifacts, { recursive: true });
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  cpSync(fixtures, dirs.ws, { recursive: true });
  writeUserSettings();

  const common = ['--user-data-dir', dirs.ud, '--extensions-dir', dirs.ext];
  const inst = spawnSync(codeServer, [...common, '--install-extension', vsix], { env: childEnv, encoding: 'utf8', timeout: 120000 });
  record('extension', 'code-server installs the .vsix', inst.status === 0, inst.status === 0 ? '' : (inst.stderr || inst.stdout).trim().slice(-300));
  if (inst.status !== 0) return;

  const port = await freePort();
  const config = join(tmp, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  server = spawn(codeServer, ['--config', config, ...common, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', dirs.ws], {
    env: childEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let serverLog = '';
  server.stdout.on('data', (d) => (serverLog += d));
  server.stderr.on('data', (d) => (serverLog += d));
  await waitFor(async () => serverLog.includes('HTTP server listening'), 30000, 'code-server to listen');

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    env: childEnv,
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`) }).catch(() => {});
  const t0 = Date.now();
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.ws)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
  await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 60000 }).catch(() => {});
  console.log(`workbench ready in ${Date.now() - t0} ms`);

  // --- Diagnostics: a duplicate key in a file opened from disk.
  await openFile(page, 'duplicate-key.yaml');
  const squiggle = page.locator('.monaco-editor .squiggly-error');
  const squiggled = await squiggle.first().waitFor({ timeout: 30000 }).then(() => true, () => false);
  await shot('1-duplicate-key');
  record('lsp-core', 'error squiggle appears for the duplicate key', squiggled);
  await page.keyboard.press(`${isCtrl}+Shift+M`); // Problems panel
  const problems = await textOf(page, '.markers-panel', 'uplicate', 10000);
  await shot('2-problems');
  record('lsp-core', 'Problems lists a gitops-ls duplicate-key error on line 6', /duplicate/i.test(problems) && /gitops-ls/.test(problems) && /\[Ln 6/.test(problems), problems.replace(/\s+/g, ' ').slice(0, 200));

  // --- Activation: the output channel shows which binary was started.
  await runCommand(page, 'gitops-ls: Show Logs');
  // The output view follows the end of the log; go back to its first lines.
  await page.locator('.panel .output-view .view-lines').first().click({ timeout: 10000 }).catch(() => {});
  await page.keyboard.press(`${isCtrl}+Home`);
  const logs = await textOf(page, '.panel .output-view, .panel .monaco-editor', 'Starting gitops-ls', 15000);
  await shot('3-logs');
  const started = /Starting gitops-ls \S+ from \S+ \(binary bundled with the extension\)/.exec(logs.replace(/\s+/g, ' ').replace(/\/ gitops-ls/g, '/gitops-ls'));
  record('extension', 'extension activated and started the bundled gitops-ls', !!started, started?.[0] ?? logs.replace(/\s+/g, ' ').slice(0, 200));
  // The status bar follows the server's pushes (asked for and advertised at initialize).
  const pushed = /The server pushes gitops-ls\/schemaChanged\./.test(logs.replace(/\s+/g, ' '));
  record('schema-info', 'the server pushes gitops-ls/schemaChanged to the status bar', pushed, logs.replace(/\s+/g, ' ').slice(0, 300));

  // --- Hover: the schema description of `replicas` (line 8 of deployment.yaml).
  await openFile(page, 'deployment.yaml');
  // --- Status bar: the schema of the active document (pushed, or asked on the editor switch).
  const item = page.locator('.statusbar-item', { hasText: /Deployment/ });
  const itemShown = await item.first().waitFor({ timeout: 10000 }).then(() => true, () => false);
  const itemText = itemShown ? (await item.first().innerText()).trim() : '';
  record('schema-info', 'status bar names the Deployment schema', itemShown, itemText || 'item hidden');
  // Clicking it opens the schema source: an editor tab (file) or a browser page (http).
  let opened = '';
  if (itemShown) {
    const tabs = page.locator('.tabs-container .tab');
    const before = await tabs.count();
    await item.first().click();
    const end = Date.now() + 8000;
    // An http source goes through VS Code's link protection first: its dialog names the URL.
    const linkDialog = page.locator('.monaco-dialog-box', { hasText: /open the external website/i });
    while (!opened && Date.now() < end) {
      if ((await tabs.count()) > before) opened = `tab ${(await tabs.last().innerText()).trim()}`;
      else if (page.context().pages().length > 1) opened = `page ${page.context().pages().at(-1).url()}`;
      else if (await linkDialog.isVisible().catch(() => false)) {
        opened = `link dialog: ${(await linkDialog.innerText()).replace(/\s+/g, ' ').trim()}`;
        await linkDialog.getByRole('button', { name: 'Cancel' }).click();
      } else await page.waitForTimeout(200);
    }
    await shot('4-schema-source');
    for (const p of page.context().pages().slice(1)) await p.close();
    if (opened.startsWith('tab')) await page.keyboard.press(`${isCtrl}+W`);
  }
  record('schema-info', 'clicking the status-bar item opens the schema source', !!opened, opened || 'nothing opened');

  const word = page.locator('.monaco-editor .view-line span', { hasText: /^replicas$/ }).first();
  let hoverText = '';
  if (await word.waitFor({ timeout: 10000 }).then(() => true, () => false)) {
    const box = await word.boundingBox();
    await page.mouse.move(box.x + 5, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    hoverText = await textOf(page, '.monaco-hover:not(.hidden)', /desired pods/i, 8000);
  }
  await shot('5-hover');
  record('schema-hover', 'hovering `replicas` shows its schema description', /desired pods/i.test(hoverText), hoverText.replace(/\s+/g, ' ').slice(0, 200));
  await page.keyboard.press('Escape');

  // --- Completion: Ctrl+Space on a new line inside `spec:` lists DeploymentSpec keys.
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press(`${isCtrl}+G`);
  await page.keyboard.type('8');
  await page.keyboard.press('Enter');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.press(`${isCtrl}+Space`);
  const wanted = ['strategy', 'minReadySeconds'];
  const labels = await completionLabels(page, wanted, 15000);
  await shot('6-completion');
  record('schema-completion', 'Ctrl+Space in `spec:` lists strategy and minReadySeconds', wanted.every((w) => labels.includes(w)), `got: ${labels.slice(0, 12).join(', ') || 'no suggestions'}`);
  await page.keyboard.press('Escape');

  // --- Server discovery errors. A wrong setting with the bundled binary present: a warning naming both.
  // Workspace settings: VS Code watches the workspace folder for them.
  mkdirSync(join(dirs.ws, '.vscode'), { recursive: true });
  writeFileSync(join(dirs.ws, '.vscode/settings.json'), JSON.stringify({ 'gitops-ls.server.path': '/nonexistent/gitops-ls' }));
  const warn = await textOf(page, '.notifications-toasts', 'is not usable', 20000);
  await shot('7-bad-setting-warning');
  record('extension', 'bad gitops-ls.server.path with bundled binary: warning, falls back', /server\.path.*\/nonexistent\/gitops-ls.*is not usable.*Using the binary bundled/s.test(warn), warn.replace(/\s+/g, ' ').slice(0, 240));

  // Then without the bundled binary (as in a package for another platform): one clear error.
  const extDir = readdirSync(dirs.ext).find((d) => d.startsWith('gitops-ls.gitops-ls'));
  renameSync(join(dirs.ext, extDir, 'server/gitops-ls'), join(dirs.ext, extDir, 'server/gitops-ls.moved'));
  await clearNotifications(page);
  await runCommand(page, 'gitops-ls: Restart Server');
  const err = await textOf(page, '.notifications-toasts', 'no working language server binary', 20000);
  await shot('8-no-binary-error');
  const toasts = await page.locator('.notifications-toasts .notification-toast').count();
  record(
    'extension',
    'no usable binary: one error naming the setting and the fix',
    /no working language server binary found/.test(err) && /\/nonexistent\/gitops-ls/.test(err) && /gitops-ls\.server\.path/.test(err) && toasts === 1,
    `${toasts} toast(s): ${err.replace(/\s+/g, ' ').slice(0, 240)}`,
  );
}

// ---------- page helpers

async function waitFor(fn, timeout, what) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Polls the text of `selector` until it contains `needle` (string or RegExp); returns the last text seen. */
async function textOf(page, selector, needle, timeout) {
  const end = Date.now() + timeout;
  let text = '';
  while (Date.now() < end) {
    // Monaco renders spaces as no-break spaces.
    text = (await page.locator(selector).allInnerTexts().catch(() => [])).join('\n').replace(/\u00a0/g, ' ');
    if (typeof needle === 'string' ? text.includes(needle) : needle.test(text)) break;
    await page.waitForTimeout(250);
  }
  return text;
}

async function quickInput(page, prefix, text) {
  await page.keyboard.press(prefix === '>' ? 'F1' : `${isCtrl}+P`);
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10000 });
  await input.fill(prefix + text);
  // Enter only once the focused row is the entry asked for: the list filters asynchronously.
  const want = text.toLowerCase();
  await waitFor(async () => {
    const row = page.locator('.quick-input-list .monaco-list-row.focused').first();
    const label = ((await row.getAttribute('aria-label').catch(() => null)) || '').toLowerCase();
    return label.includes(want);
  }, 10000, `the quick-input row for "${text}"`);
  await page.keyboard.press('Enter');
}

async function openFile(page, name) {
  await quickInput(page, '', name);
  await page.locator(`.tabs-container .tab.active[data-resource-name="${name}"], .tab.active[aria-label^="${name}"]`).first().waitFor({ timeout: 15000 });
  // The editor has rendered the file's text (so clicks and keys reach this document).
  await page.locator('.editor-instance .monaco-editor .view-lines .view-line').first().waitFor({ timeout: 15000 });
}

const runCommand = (page, title) => quickInput(page, '>', title);

/**
 * The labels of the suggest widget once it holds every `wanted` label. VS Code shows the widget
 * as soon as one provider answers (word-based items, or "Loading..."), so the widget's state is
 * polled. When no widget opened (the key reached the editor before it was ready for it) or it
 * settled on "No suggestions", completion is asked for again. Returns the last labels seen.
 */
async function completionLabels(page, wanted, timeout) {
  const widget = page.locator('.editor-widget.suggest-widget.visible');
  const rows = widget.locator('.monaco-list-row .label-name');
  const empty = widget.locator('.message', { hasText: /No suggestions/i });
  const end = Date.now() + timeout;
  let labels = [];
  let asked = Date.now();
  while (Date.now() < end) {
    labels = (await rows.allInnerTexts().catch(() => [])).map((s) => s.trim());
    if (wanted.every((w) => labels.includes(w))) break;
    const shown = await widget.isVisible().catch(() => false);
    const nothing = shown && (await empty.isVisible().catch(() => false));
    if ((!shown || nothing) && Date.now() - asked > 1000) {
      if (nothing) await page.keyboard.press('Escape');
      await page.keyboard.press(`${isCtrl}+Space`);
      asked = Date.now();
    }
    await page.waitForTimeout(200);
  }
  return labels;
}

async function clearNotifications(page) {
  await runCommand(page, 'Notifications: Clear All Notifications').catch(() => {});
  await waitFor(async () => (await page.locator('.notifications-toasts .notification-toast').count()) === 0, 5000, 'notifications to clear').catch(() => {});
}

// ---------- run

const started = Date.now();
let crashed;
try {
  await main();
} catch (e) {
  crashed = e;
  record('extension', 'test ran to the end', false, String(e?.stack || e).split('\n').slice(0, 3).join(' '));
} finally {
  await cleanup();
  rmSync(tmp, { recursive: true, force: true });
}
writeFileSync(join(artifacts, 'results.json'), JSON.stringify(results, null, 2));
const failed = results.filter((r) => !r.ok);
for (const g of new Set(failed.map((r) => r.group))) console.log(`failing group ${g} needs: ${NEEDS[g] ?? g}`);
console.log(`vscode: ${Math.round((Date.now() - started) / 1000)} s`);
console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length || crashed ? 1 : 0);
