// Copies the gitops-ls binary into server/ so `vsce package` bundles it, stripped:
// a debug build is ~200 MB with its debug info, a few MB of code without it.
// Source: $GITOPS_LS_PATH, else the workspace's dist build (`cargo build --profile dist`);
// a path ending in .exe is bundled as server/gitops-ls.exe (win32 targets).
// Stripping: $STRIP (e.g. `llvm-strip` for a cross-built binary, `none` for one the dist
// profile already stripped), else `strip`, else `objcopy --strip-all`.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = process.env.GITOPS_LS_PATH || resolve(root, '../target/dist/gitops-ls');
if (!existsSync(src)) {
  console.error(`copy-server: ${src} does not exist. Run \`cargo build --profile dist -p gitops-ls\` or set GITOPS_LS_PATH.`);
  process.exit(1);
}
// A binary cross-built for another $VSCODE_TARGET cannot run here: its --version is not checked.
const target = process.env.VSCODE_TARGET || 'linux-x64';
const runsHere = target.replace(/^alpine-/, 'linux-') === `${process.platform}-${process.arch}`;
let version = 'gitops-ls (cross-built, not run)';
if (runsHere) {
  version = execFileSync(src, ['--version'], { encoding: 'utf8', timeout: 10000 }).trim();
  if (!/^gitops-ls\s+\S+/.test(version)) {
    console.error(`copy-server: ${src} --version printed "${version}", expected "gitops-ls <version>".`);
    process.exit(1);
  }
}
const dest = resolve(root, src.endsWith('.exe') ? 'server/gitops-ls.exe' : 'server/gitops-ls');
mkdirSync(dirname(dest), { recursive: true });
for (const old of ['server/gitops-ls', 'server/gitops-ls.exe']) rmSync(resolve(root, old), { force: true });
copyFileSync(src, dest);
chmodSync(dest, 0o755);

function tryRun(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return undefined;
  } catch (e) {
    return e.code === 'ENOENT' ? `${cmd} not found` : `${cmd} failed: ${String(e.stderr || e.message).trim()}`;
  }
}

const mb = (p) => (statSync(p).size / 1e6).toFixed(1);
const before = mb(dest);
const tools = process.env.STRIP ? [[process.env.STRIP, [dest]]] : [['strip', [dest]], ['objcopy', ['--strip-all', dest]]];
let stripped = process.env.STRIP === 'none' ? 'not stripped (STRIP=none)' : undefined;
const failures = [];
for (const [cmd, args] of stripped ? [] : tools) {
  const err = tryRun(cmd, args);
  if (!err) {
    stripped = `stripped with ${cmd}`;
    break;
  }
  failures.push(err);
}
if (!stripped) {
  rmSync(dest, { force: true });
  console.error(`copy-server: could not strip ${dest} (${failures.join('; ')}). Install binutils, set STRIP to a strip tool for this binary's format, or STRIP=none for a binary built with the dist profile.`);
  process.exit(1);
}
console.log(`copy-server: bundled ${version} from ${src}, ${stripped}: ${before} MB -> ${mb(dest)} MB`);
