import { describe, expect, it } from 'vitest';

import { grantedScopes, WRITE_SCOPE } from './scopes';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: unknown) => `${b64url({ alg: 'RS256', kid: 'k' })}.${b64url(claims)}.signature`;

describe('grantedScopes', () => {
  it('reads the scope claim of a JWT access token', () => {
    expect(grantedScopes(jwt({ scope: 'openid write:features' }))).toEqual(new Set(['openid', WRITE_SCOPE]));
  });

  it("reads Auth0's RBAC permissions", () => {
    expect(grantedScopes(jwt({ scope: 'openid', permissions: [WRITE_SCOPE] })).has(WRITE_SCOPE)).toBe(true);
  });

  it('does not take the token response scope over the token itself', () => {
    expect(grantedScopes(jwt({ scope: 'openid' }), 'openid write:features').has(WRITE_SCOPE)).toBe(false);
  });

  it('falls back to the token response for an opaque token', () => {
    expect(grantedScopes('opaque-token', 'openid write:features').has(WRITE_SCOPE)).toBe(true);
    expect(grantedScopes('a.%%%.c', 'openid').has(WRITE_SCOPE)).toBe(false);
    expect(grantedScopes(undefined).size).toBe(0);
  });

  it('reads non-ASCII claims (UTF-8 payload)', () => {
    expect(grantedScopes(jwt({ scope: WRITE_SCOPE, name: 'Zoë' })).has(WRITE_SCOPE)).toBe(true);
  });
});
