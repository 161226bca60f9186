// Copies the gitops-ls binary into server/ so `vsce package` bundles it.
// Source: $GITOPS_LS_PATH, else the workspace's release build.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = process.env.GITOPS_LS_PATH || resolve(root, '../target/release/gitops-ls');
if (!existsSync(src)) {
  console.error(`copy-server: ${src} does not exist. Run \`cargo build --release -p gitops-ls\` or set GITOPS_LS_PATH.`);
  process.exit(1);
}
const version = execFileSync(src, ['--version'], { encoding: 'utf8', timeout: 10000 }).trim();
if (!/^gitops-ls\s+\S+/.test(version)) {
  console.error(`copy-server: ${src} --version printed "${version}", expected "gitops-ls <version>".`);
  process.exit(1);
}
const dest = resolve(root, 'server/gitops-ls');
mkdirSync(dirname(dest), { recursive: true });
copyFileSync(src, dest);
chmodSync(dest, 0o755);
console.log(`copy-server: bundled ${version} from ${src}`);
