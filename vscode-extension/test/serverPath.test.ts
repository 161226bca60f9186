import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProbeResult, candidates, describeSpawnError, expandPath, resolveServer, skippedSettingMessage } from '../src/serverPath';

const BUNDLED = '/ext/server/gitops-ls';

/** A fake `--version` runner: maps path → result; unknown paths are missing files. */
function fakeProbe(results: Record<string, ProbeResult>) {
  const calls: string[] = [];
  return {
    calls,
    deps: {
      probe: async (p: string): Promise<ProbeResult> => {
        calls.push(p);
        return results[p] ?? { ok: false, reason: 'file not found' };
      },
    },
  };
}

const good = (v = '0.1.0'): ProbeResult => ({ ok: true, stdout: `gitops-ls ${v}\n` });

describe('candidates', () => {
  it('orders setting, env, bundled and skips blanks', () => {
    assert.deepEqual(
      candidates({ settingPath: '/a', envPath: '/b', bundledPath: BUNDLED, homeDir: '/home/u' }).map((c) => c.source),
      ['setting', 'env', 'bundled'],
    );
    assert.deepEqual(
      candidates({ settingPath: '  ', envPath: '', bundledPath: BUNDLED, homeDir: '/home/u' }),
      [{ source: 'bundled', path: BUNDLED }],
    );
  });

  it('expands ~ and ${workspaceFolder}, anchors relative setting paths', () => {
    assert.equal(expandPath('~/bin/gitops-ls', '/home/u'), '/home/u/bin/gitops-ls');
    assert.equal(expandPath('${workspaceFolder}/target/debug/gitops-ls', '/h', '/ws'), '/ws/target/debug/gitops-ls');
    assert.equal(expandPath('target/debug/gitops-ls', '/h', '/ws'), '/ws/target/debug/gitops-ls');
    assert.equal(expandPath('/abs/gitops-ls', '/h', '/ws'), '/abs/gitops-ls');
  });
});

describe('resolveServer', () => {
  it('uses the setting first when it works', async () => {
    const f = fakeProbe({ '/a': good('1.2.3'), '/b': good(), [BUNDLED]: good() });
    const r = await resolveServer({ settingPath: '/a', envPath: '/b', bundledPath: BUNDLED, homeDir: '/h' }, f.deps);
    assert.ok(r.ok);
    assert.equal(r.path, '/a');
    assert.equal(r.source, 'setting');
    assert.equal(r.version, '1.2.3');
    assert.deepEqual(f.calls, ['/a']);
  });

  it('falls back to env, then bundled, recording why others were skipped', async () => {
    const f = fakeProbe({ '/b': { ok: false, reason: 'not executable (permission denied)' }, [BUNDLED]: good() });
    const r = await resolveServer({ settingPath: '/a', envPath: '/b', bundledPath: BUNDLED, homeDir: '/h' }, f.deps);
    assert.ok(r.ok);
    assert.equal(r.source, 'bundled');
    assert.deepEqual(r.rejected.map((x) => [x.source, x.reason]), [
      ['setting', 'file not found'],
      ['env', 'not executable (permission denied)'],
    ]);
    assert.match(skippedSettingMessage(r) ?? '', /"gitops-ls\.server\.path" \(\/a\) is not usable: file not found\. Using the binary bundled/);
  });

  it('rejects a binary that is not gitops-ls', async () => {
    const f = fakeProbe({ '/a': { ok: true, stdout: 'yaml-language-server 1.15\n' }, [BUNDLED]: { ok: true, stdout: '' } });
    const r = await resolveServer({ settingPath: '/a', envPath: undefined, bundledPath: BUNDLED, homeDir: '/h' }, f.deps);
    assert.equal(r.ok, false);
    assert.match(r.rejected[0].reason, /printed "yaml-language-server 1.15"/);
    assert.match(r.rejected[1].reason, /printed nothing/);
  });

  it('gives one message naming every candidate and the fix', async () => {
    const f = fakeProbe({});
    const r = await resolveServer({ settingPath: '/bad', envPath: '/worse', bundledPath: BUNDLED, homeDir: '/h' }, f.deps);
    assert.equal(r.ok, false);
    if (r.ok) return;
    for (const needle of ['/bad', '/worse', BUNDLED, 'gitops-ls.server.path', 'cargo build --release -p gitops-ls']) {
      assert.ok(r.message.includes(needle), `message should mention ${needle}: ${r.message}`);
    }
    assert.equal(r.message.split('\n').length, 1);
  });

  it('has no skipped-setting warning when the setting was used or unset', async () => {
    const f = fakeProbe({ [BUNDLED]: good() });
    const r = await resolveServer({ settingPath: '', envPath: undefined, bundledPath: BUNDLED, homeDir: '/h' }, f.deps);
    assert.equal(skippedSettingMessage(r), undefined);
  });
});

describe('describeSpawnError', () => {
  it('explains common failures', () => {
    assert.equal(describeSpawnError({ code: 'ENOENT' }), 'file not found');
    assert.equal(describeSpawnError({ code: 'EACCES' }), 'not executable (permission denied)');
    assert.equal(describeSpawnError({ killed: true, signal: 'SIGTERM' }), '`--version` did not finish in time');
    assert.equal(describeSpawnError({ code: 2 }), '`--version` exited with status 2');
  });
});
