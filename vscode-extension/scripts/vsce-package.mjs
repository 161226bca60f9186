// `vsce package` for one platform: $VSCODE_TARGET (default linux-x64), written to
// gitops-ls-<target>.vsix. copy-server must have bundled a binary built for it.
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const target = process.env.VSCODE_TARGET || 'linux-x64';
const vsce = resolve(root, 'node_modules/.bin', process.platform === 'win32' ? 'vsce.cmd' : 'vsce');
execFileSync(vsce, ['package', '--target', target, '--skip-license', '--allow-missing-repository', '--no-dependencies', '-o', `gitops-ls-${target}.vsix`], {
  cwd: root,
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
