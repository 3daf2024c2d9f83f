/**
 * Runtime configuration: the SPA reads `/config.json` once at start, so one build serves every
 * environment (the publish step writes config.json from the stack outputs; nothing
 * environment-specific is baked into the bundle). The schema is documented in docs/frontend.md.
 */
import en from 'zod/v4/locales/en.js';
import * as z from 'zod/mini';

// No `new Function` probe: the site's CSP has no 'unsafe-eval', and a caught probe is still reported.
// English messages (zod/mini loads no locale by itself).
z.config({ jitless: true, ...en() });

const nonEmpty = () => z.string().check(z.trim(), z.minLength(1));

const Auth0Schema = z
  .object({
    /** Auth0 tenant domain, e.g. `example.eu.auth0.com` (the issuer is `https://<domain>/`). */
    domain: z.optional(nonEmpty()),
    /** Any OpenID Connect issuer URL instead of `domain` (the local issuer in tests is plain HTTP). */
    authority: z.optional(z.url({ protocol: /^https?$/ })),
    /** The SPA's client id (a public client: PKCE, no secret). */
    clientId: nonEmpty(),
    /** The API identifier; access tokens are requested for it. */
    audience: nonEmpty(),
  })
  .check(
    z.refine((a) => (a.domain === undefined) !== (a.authority === undefined), {
      message: 'give exactly one of auth0.domain and auth0.authority',
      path: ['domain'],
    }),
  );

export const RuntimeConfigSchema = z.object({
  /** Base URL of the API (relative to the page, e.g. "/api", or absolute). */
  apiBase: nonEmpty(),
  /** Sign-in settings; null: no sign-in (the map is read-only). */
  auth0: z.nullable(Auth0Schema),
  /** A MapLibre style URL to draw under the data; default: a plain background bundled in the app. */
  basemapStyleUrl: z.optional(z.nullable(z.url({ protocol: /^https?$/ }))),
  /** The collection to open when the URL names none; default: the first one the API lists. */
  defaultCollection: z.optional(z.nullable(nonEmpty())),
  /** false: the API needs a token for reads too, so the map asks to sign in first. */
  publicReads: z.boolean(),
});

export type RawRuntimeConfig = z.infer<typeof RuntimeConfigSchema>;

export interface AuthConfig {
  /** OpenID Connect issuer URL (from `domain` or `authority`). */
  authority: string;
  clientId: string;
  audience: string;
}

export interface RuntimeConfig {
  /** Absolute API base URL without a trailing slash. */
  apiBase: string;
  auth: AuthConfig | null;
  basemapStyleUrl: string | null;
  defaultCollection: string | null;
  publicReads: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates a parsed config.json and resolves relative URLs against `base` (the config's URL). */
export function parseConfig(raw: unknown, base: string | URL): RuntimeConfig {
  const result = RuntimeConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`config.json is not valid:\n${z.prettifyError(result.error)}`);
  }
  const c = result.data;
  let auth: AuthConfig | null = null;
  if (c.auth0) {
    const authority = c.auth0.authority ?? `https://${c.auth0.domain}/`;
    auth = { authority, clientId: c.auth0.clientId, audience: c.auth0.audience };
  }
  return {
    apiBase: new URL(c.apiBase, base).href.replace(/\/+$/, ''),
    auth,
    basemapStyleUrl: c.basemapStyleUrl ?? null,
    defaultCollection: c.defaultCollection ?? null,
    publicReads: c.publicReads,
  };
}

/** Fetches and validates the runtime configuration; every failure is a ConfigError saying why. */
export async function loadConfig(url: string | URL, fetchImpl: typeof fetch = fetch): Promise<RuntimeConfig> {
  let response: Response;
  try {
    response = await fetchImpl(url, { cache: 'no-store', headers: { Accept: 'application/json' } });
  } catch (err) {
    throw new ConfigError(`cannot fetch ${String(url)}: ${(err as Error).message}`);
  }
  if (!response.ok) {
    throw new ConfigError(`cannot fetch ${String(url)}: HTTP ${response.status}`);
  }
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    throw new ConfigError(`${String(url)} is not JSON`);
  }
  return parseConfig(raw, response.url || url);
}
