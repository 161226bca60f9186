// Finds the gitops-ls binary to run. Pure apart from the injected `probe`, so
// the whole discovery order can be unit-tested without touching the disk.

export type CandidateSource = 'setting' | 'env' | 'bundled';

export interface Candidate {
  source: CandidateSource;
  path: string;
}

/** What running `<path> --version` told us. */
export type ProbeResult = { ok: true; stdout: string } | { ok: false; reason: string };

export interface ResolveDeps {
  /** Runs `<path> --version` (with a timeout) and reports what happened. */
  probe(path: string): Promise<ProbeResult>;
}

export interface ResolveInput {
  settingPath: string | undefined;
  envPath: string | undefined;
  bundledPath: string;
  homeDir: string;
  /** Used to resolve a relative `gitops-ls.server.path`. */
  workspaceFolder?: string;
}

export interface Rejected extends Candidate {
  reason: string;
}

export type Resolution =
  | { ok: true; path: string; source: CandidateSource; version: string; rejected: Rejected[] }
  | { ok: false; rejected: Rejected[]; message: string };

const VERSION_LINE = /^gitops-ls\s+(\S+)/m;

export const SOURCE_LABEL: Record<CandidateSource, string> = {
  setting: 'setting gitops-ls.server.path',
  env: 'environment variable GITOPS_LS_PATH',
  bundled: 'binary bundled with the extension',
};

/** Expands `~` and `${workspaceFolder}`, and anchors relative paths at the workspace. */
export function expandPath(raw: string, homeDir: string, workspaceFolder?: string): string {
  let p = raw.trim();
  if (p === '~' || p.startsWith('~/')) p = homeDir + p.slice(1);
  if (workspaceFolder) {
    p = p.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
    if (!p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p)) p = `${workspaceFolder}/${p}`;
  }
  return p;
}

export function candidates(input: ResolveInput): Candidate[] {
  const out: Candidate[] = [];
  if (input.settingPath && input.settingPath.trim()) {
    out.push({ source: 'setting', path: expandPath(input.settingPath, input.homeDir, input.workspaceFolder) });
  }
  if (input.envPath && input.envPath.trim()) {
    out.push({ source: 'env', path: expandPath(input.envPath, input.homeDir) });
  }
  out.push({ source: 'bundled', path: input.bundledPath });
  return out;
}

/** Tries each candidate in order; the first whose `--version` looks like gitops-ls wins. */
export async function resolveServer(input: ResolveInput, deps: ResolveDeps): Promise<Resolution> {
  const rejected: Rejected[] = [];
  for (const c of candidates(input)) {
    const r = await deps.probe(c.path);
    if (!r.ok) {
      rejected.push({ ...c, reason: r.reason });
      continue;
    }
    const m = VERSION_LINE.exec(r.stdout);
    if (!m) {
      const first = r.stdout.trim().split('\n')[0] ?? '';
      rejected.push({ ...c, reason: `\`--version\` printed ${first ? `"${first.slice(0, 80)}"` : 'nothing'}, not "gitops-ls <version>"` });
      continue;
    }
    return { ok: true, path: c.path, source: c.source, version: m[1], rejected };
  }
  return { ok: false, rejected, message: notFoundMessage(rejected) };
}

/** The single error shown when no binary works: what was tried and how to fix it. */
export function notFoundMessage(rejected: Rejected[]): string {
  const tried = rejected.map((r) => `${SOURCE_LABEL[r.source]} (${r.path}): ${r.reason}`).join('; ');
  return (
    'gitops-ls: no working language server binary found. ' +
    `Tried ${tried}. ` +
    'Fix: set "gitops-ls.server.path" to a gitops-ls binary (build one with `cargo build --release -p gitops-ls`), ' +
    'or install the extension package for your platform, which bundles it.'
  );
}

/** Warning shown when an explicitly configured path was skipped for a later candidate. */
export function skippedSettingMessage(res: Resolution): string | undefined {
  if (!res.ok) return undefined;
  const s = res.rejected.find((r) => r.source === 'setting');
  if (!s) return undefined;
  return `gitops-ls: "gitops-ls.server.path" (${s.path}) is not usable: ${s.reason}. Using the ${SOURCE_LABEL[res.source]} (${res.path}) instead.`;
}

/** Turns a child-process failure into a short human reason. */
export function describeSpawnError(err: { code?: string | number; killed?: boolean; signal?: string | null; message?: string }): string {
  switch (err.code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
      return 'not executable (permission denied)';
    case 'ENOEXEC':
      return 'not a program for this platform';
  }
  if (err.killed || err.signal) return '`--version` did not finish in time';
  if (typeof err.code === 'number') return `\`--version\` exited with status ${err.code}`;
  return err.message ?? 'could not be run';
}
