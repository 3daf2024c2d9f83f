/**
 * Sign-in: OpenID Connect authorization code flow with PKCE (oidc-client-ts, react-oidc-context).
 * Works with Auth0 (the API is named by the `audience` parameter of the authorize request) and with
 * any OIDC issuer (the local one in tests). The user is kept in sessionStorage, so a tab keeps its
 * session across reloads and forgets it when closed.
 */
import { WebStorageStateStore, type UserManagerSettings } from 'oidc-client-ts';
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { AuthProvider as OidcProvider, useAuth as useOidc } from 'react-oidc-context';

import type { AuthConfig } from '@/config/env';

import { grantedScopes, WRITE_SCOPE } from './scopes';

export const CALLBACK_PATH = '/auth/callback';

export interface Session {
  /** false: this environment has no sign-in configured. */
  enabled: boolean;
  /** true while the stored session is read or a sign-in callback is processed. */
  isLoading: boolean;
  isSignedIn: boolean;
  userName?: string;
  accessToken?: string;
  /** The token carries `write:features`: show the edit controls. */
  canWrite: boolean;
  error?: Error;
  signIn(): Promise<void>;
  signOut(): Promise<void>;
}

const SIGNED_OUT: Session = {
  enabled: false,
  isLoading: false,
  isSignedIn: false,
  canWrite: false,
  signIn: () => Promise.reject(new Error('sign-in is not configured for this site')),
  signOut: () => Promise.resolve(),
};

const SessionContext = createContext<Session>(SIGNED_OUT);

export function oidcSettings(auth: AuthConfig, origin: string): UserManagerSettings {
  return {
    authority: auth.authority,
    client_id: auth.clientId,
    redirect_uri: `${origin}${CALLBACK_PATH}`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: 'code',
    scope: `openid profile email ${WRITE_SCOPE}`,
    extraQueryParams: { audience: auth.audience },
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    // no hidden iframes: when the token expires the user signs in again
    automaticSilentRenew: false,
    monitorSession: false,
  };
}

/** After the callback, go back to where the user pressed "Sign in" (the URL state). */
function returnToSavedLocation(user: { state?: unknown } | void) {
  const state = user?.state as { returnTo?: unknown } | undefined;
  const returnTo = typeof state?.returnTo === 'string' && state.returnTo.startsWith('/') ? state.returnTo : '/';
  window.history.replaceState(null, '', returnTo);
}

function OidcSession({ children }: { children: ReactNode }) {
  const oidc = useOidc();
  const session = useMemo<Session>(() => {
    const user = oidc.isAuthenticated ? oidc.user : null;
    const accessToken = user?.access_token;
    return {
      enabled: true,
      isLoading: oidc.isLoading,
      isSignedIn: Boolean(user),
      userName: user ? String(user.profile.name ?? user.profile.email ?? user.profile.sub) : undefined,
      accessToken,
      canWrite: Boolean(user) && grantedScopes(accessToken, user?.scope).has(WRITE_SCOPE),
      error: oidc.error,
      signIn: () => oidc.signinRedirect({ state: { returnTo: window.location.pathname + window.location.search } }),
      signOut: async () => {
        const idToken = user?.id_token;
        await oidc.removeUser();
        try {
          await oidc.signoutRedirect({ id_token_hint: idToken });
        } catch {
          // the issuer has no end-session endpoint: signed out here is all there is
        }
      },
    };
  }, [oidc]);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function SessionProvider({ auth, children }: { auth: AuthConfig | null; children: ReactNode }) {
  const settings = useMemo(() => (auth ? oidcSettings(auth, window.location.origin) : null), [auth]);
  if (!settings) return <SessionContext.Provider value={SIGNED_OUT}>{children}</SessionContext.Provider>;
  return (
    <OidcProvider {...settings} onSigninCallback={returnToSavedLocation}>
      <OidcSession>{children}</OidcSession>
    </OidcProvider>
  );
}

export function useSession(): Session {
  return useContext(SessionContext);
}
