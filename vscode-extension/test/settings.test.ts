import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULTS, configurationItem, toServerSettings } from '../src/settings';

/** A getter over a flat `{ 'images.checkTags': false }` object, like WorkspaceConfiguration.get. */
const from = (values: Record<string, unknown>) => (key: string) => values[key];

describe('toServerSettings', () => {
  it('gives the documented defaults when nothing is set', () => {
    assert.deepEqual(toServerSettings(from({})), DEFAULTS);
    assert.equal(DEFAULTS.images.checkTags, true);
    assert.equal(DEFAULTS.images.completionTimeoutMs, 300);
  });

  it('maps every setting to its place', () => {
    const s = toServerSettings(
      from({
        kubernetesVersion: '1.31',
        maxFileSizeMb: 5.5,
        offline: true,
        'schemas.onlineCatalog': ' https://catalog.example.test/ ',
        'schemas.locations': ['./schemas', 'https://example.test/s'],
        'schemas.crdCatalog': '/opt/crds',
        'schemas.associations': { 'ci/*.yaml': './ci.json' },
        'validation.unknownKindSeverity': 'error',
        'validation.strict': true,
        'images.checkTags': false,
        'images.insecureRegistries': ['localhost:5000'],
        'images.cacheTtlSeconds': 60,
        'images.completionTimeoutMs': 1000,
        'log.level': 'debug',
        'server.path': '/usr/bin/gitops-ls',
        'trace.server': 'verbose',
      }),
    );
    assert.deepEqual(s, {
      kubernetesVersion: '1.31',
      maxFileSizeMb: 5.5,
      offline: true,
      schemas: {
        locations: ['./schemas', 'https://example.test/s'],
        crdCatalog: '/opt/crds',
        onlineCatalog: 'https://catalog.example.test/',
        associations: { 'ci/*.yaml': './ci.json' },
      },
      validation: { unknownKindSeverity: 'error', strict: true },
      images: { checkTags: false, insecureRegistries: ['localhost:5000'], cacheTtlSeconds: 60, completionTimeoutMs: 1000 },
      log: { level: 'debug' },
    });
    // Client-only settings never reach the server.
    assert.ok(!('server' in s) && !('trace' in s));
  });

  it('repairs hand-edited values instead of passing them on', () => {
    const s = toServerSettings(
      from({
        kubernetesVersion: 1.3,
        'schemas.locations': ['  ./a ', '', 42, null],
        'schemas.crdCatalog': '   ',
        'schemas.associations': { 'a/*.yaml': 'x.json', 'b/*.yaml': 3, '': 'y.json' },
        'validation.unknownKindSeverity': 'WARNING',
        'validation.strict': 'yes',
        'images.checkTags': 'false',
        'images.insecureRegistries': 'localhost:5000',
        'images.cacheTtlSeconds': -5,
        'images.completionTimeoutMs': 250.7,
        'log.level': 'verbose',
        maxFileSizeMb: -1,
        offline: 'true',
      }),
    );
    assert.equal(s.kubernetesVersion, '1.3');
    assert.equal(s.maxFileSizeMb, 20);
    assert.equal(s.offline, false);
    assert.deepEqual(s.schemas, { locations: ['./a'], crdCatalog: null, onlineCatalog: null, associations: { 'a/*.yaml': 'x.json' } });
    assert.deepEqual(s.validation, { unknownKindSeverity: 'warning', strict: true });
    assert.deepEqual(s.images, { checkTags: true, insecureRegistries: [], cacheTtlSeconds: 3600, completionTimeoutMs: 250 });
    assert.equal(s.log.level, 'info');
  });

  it('keeps an empty online catalog: it turns the catalog off', () => {
    assert.equal(toServerSettings(from({ 'schemas.onlineCatalog': '  ' })).schemas.onlineCatalog, '');
    assert.equal(toServerSettings(from({ 'schemas.onlineCatalog': 7 })).schemas.onlineCatalog, null);
  });
});

describe('configurationItem', () => {
  const s = toServerSettings(from({ 'images.checkTags': false }));

  it('answers the whole section and dotted sub-sections', () => {
    assert.equal(configurationItem('gitops-ls', s), s);
    assert.deepEqual(configurationItem('gitops-ls.images', s), s.images);
    assert.equal(configurationItem('gitops-ls.images.checkTags', s), false);
    assert.equal(configurationItem('gitops-ls.nope.deeper', s), null);
  });

  it('leaves other sections to the editor', () => {
    assert.equal(configurationItem('yaml', s), undefined);
    assert.equal(configurationItem(undefined, s), undefined);
    assert.equal(configurationItem('gitops-lsx', s), undefined);
  });
});
