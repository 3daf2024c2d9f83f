import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { useMemo, type ReactNode } from 'react';

import type { RuntimeConfig } from '@/config/env';
import { createApiClient } from '@/lib/api-client';
import { ApiClientProvider } from '@/lib/api-context';
import { SessionProvider, useSession } from '@/lib/auth';

import { MapScreen } from './MapScreen';

/** The API client, with the signed-in user's access token on every request. */
function ApiWithSession({ apiBase, children }: { apiBase: string; children: ReactNode }) {
  const { accessToken } = useSession();
  const client = useMemo(() => createApiClient({ apiBase, getAccessToken: () => accessToken }), [apiBase, accessToken]);
  return <ApiClientProvider client={client}>{children}</ApiClientProvider>;
}

function Gate({ config }: { config: RuntimeConfig }) {
  const session = useSession();
  if (session.isLoading) {
    return (
      <main className="splash" role="status">
        Signing in…
      </main>
    );
  }
  if (!config.publicReads && !session.isSignedIn) {
    return (
      <main className="splash">
        <h1>Sign in to see the map</h1>
        {session.error ? <p role="alert">{session.error.message}</p> : null}
        <button type="button" onClick={() => void session.signIn()}>
          Sign in
        </button>
      </main>
    );
  }
  return <MapScreen config={config} />;
}

export function App({ config, queryClient }: { config: RuntimeConfig; queryClient: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <SessionProvider auth={config.auth}>
        <ApiWithSession apiBase={config.apiBase}>
          <Gate config={config} />
        </ApiWithSession>
      </SessionProvider>
    </QueryClientProvider>
  );
}
