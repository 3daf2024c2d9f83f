/** Which API scopes a signed-in user holds, read from the access token the SPA got. */

export const WRITE_SCOPE = 'write:features';

function base64UrlJson(part: string): unknown {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * Scopes in a JWT access token (`scope`, space separated, and Auth0's RBAC `permissions`), else
 * the `scope` of the token response. This only decides which controls to show: the API checks the
 * signature and the scope of every write.
 */
export function grantedScopes(accessToken: string | undefined, responseScope?: string): Set<string> {
  const granted = new Set<string>();
  const parts = accessToken?.split('.');
  if (parts?.length === 3 && parts[1]) {
    try {
      const claims = base64UrlJson(parts[1]) as { scope?: unknown; permissions?: unknown };
      if (typeof claims.scope === 'string') claims.scope.split(' ').filter(Boolean).forEach((s) => granted.add(s));
      if (Array.isArray(claims.permissions)) claims.permissions.forEach((p) => typeof p === 'string' && granted.add(p));
      return granted;
    } catch {
      // an opaque token: fall back to the token response
    }
  }
  responseScope?.split(' ').filter(Boolean).forEach((s) => granted.add(s));
  return granted;
}
