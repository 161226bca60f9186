// Maps the `gitops-ls.*` VS Code settings to the object the server receives
// (in `workspace/configuration` answers for section `gitops-ls`, in
// `didChangeConfiguration` and as initializationOptions). Values are
// normalised here so the server never sees half-typed or wrongly-typed input
// from settings.json, which VS Code does not validate.

export const SECTION = 'gitops-ls';

/** Keys that only the client uses; changing `server.path` needs a restart. */
export const CLIENT_ONLY_KEYS = ['server.path', 'trace.server'] as const;
export const RESTART_KEYS = ['server.path', 'log.level'] as const;

export type Severity = 'error' | 'warning' | 'information' | 'hint' | 'off';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface ServerSettings {
  kubernetesVersion: string | null;
  maxFileSizeMb: number;
  offline: boolean;
  schemas: {
    locations: string[];
    crdCatalog: string | null;
    /** `null`: the server's default catalog; `""`: none. */
    onlineCatalog: string | null;
    associations: Record<string, string>;
  };
  validation: {
    unknownKindSeverity: Severity;
    strict: boolean;
  };
  images: {
    checkTags: boolean;
    insecureRegistries: string[];
    cacheTtlSeconds: number;
    completionTimeoutMs: number;
  };
  log: { level: LogLevel };
}

export const DEFAULTS: ServerSettings = {
  kubernetesVersion: null,
  maxFileSizeMb: 20,
  offline: false,
  schemas: { locations: [], crdCatalog: null, onlineCatalog: null, associations: {} },
  validation: { unknownKindSeverity: 'warning', strict: true },
  images: { checkTags: true, insecureRegistries: [], cacheTtlSeconds: 3600, completionTimeoutMs: 300 },
  log: { level: 'info' },
};

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'information', 'hint', 'off'];
const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug', 'trace'];

/** Reads one dotted key below `gitops-ls.` (a `WorkspaceConfiguration.get` fits). */
export type Getter = (key: string) => unknown;

function optString(v: unknown): string | null {
  if (typeof v === 'number') v = String(v); // `kubernetesVersion: 1.31` typed as a number
  return typeof v === 'string' && v.trim() ? v.trim() : null;
}

function stringList(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is string => typeof x === 'string').map((x) => x.trim()).filter(Boolean);
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, val] of Object.entries(v)) {
      if (k.trim() && typeof val === 'string' && val.trim()) out[k.trim()] = val.trim();
    }
  }
  return out;
}

function bool(v: unknown, dflt: boolean): boolean {
  return typeof v === 'boolean' ? v : dflt;
}

function nonNegativeNumber(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : dflt;
}

/** A string kept even when empty (an empty one means "none"); anything else is unset. */
function stringOrUnset(v: unknown): string | null {
  return typeof v === 'string' ? v.trim() : null;
}

function nonNegativeInt(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : dflt;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], dflt: T): T {
  const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
  return (allowed as readonly string[]).includes(s) ? (s as T) : dflt;
}

export function toServerSettings(get: Getter): ServerSettings {
  return {
    kubernetesVersion: optString(get('kubernetesVersion')),
    maxFileSizeMb: nonNegativeNumber(get('maxFileSizeMb'), DEFAULTS.maxFileSizeMb),
    offline: bool(get('offline'), DEFAULTS.offline),
    schemas: {
      locations: stringList(get('schemas.locations')),
      crdCatalog: optString(get('schemas.crdCatalog')),
      onlineCatalog: stringOrUnset(get('schemas.onlineCatalog')),
      associations: stringMap(get('schemas.associations')),
    },
    validation: {
      unknownKindSeverity: oneOf(get('validation.unknownKindSeverity'), SEVERITIES, DEFAULTS.validation.unknownKindSeverity),
      strict: bool(get('validation.strict'), DEFAULTS.validation.strict),
    },
    images: {
      checkTags: bool(get('images.checkTags'), DEFAULTS.images.checkTags),
      insecureRegistries: stringList(get('images.insecureRegistries')),
      cacheTtlSeconds: nonNegativeInt(get('images.cacheTtlSeconds'), DEFAULTS.images.cacheTtlSeconds),
      completionTimeoutMs: nonNegativeInt(get('images.completionTimeoutMs'), DEFAULTS.images.completionTimeoutMs),
    },
    log: { level: oneOf(get('log.level'), LOG_LEVELS, DEFAULTS.log.level) },
  };
}

/**
 * Answers one `workspace/configuration` item. The server asks for section
 * `gitops-ls` (the whole object) or a dotted sub-section such as
 * `gitops-ls.images`; anything else is not ours and yields `undefined`.
 */
export function configurationItem(section: string | undefined, settings: ServerSettings): unknown {
  if (section === SECTION) return settings;
  if (!section || !section.startsWith(SECTION + '.')) return undefined;
  let node: unknown = settings;
  for (const part of section.slice(SECTION.length + 1).split('.')) {
    if (!node || typeof node !== 'object') return null;
    node = (node as Record<string, unknown>)[part];
  }
  return node ?? null;
}
