import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useMemo, type ReactNode } from 'react';

import type { RuntimeConfig } from '@/config/env';
import { createApiClient } from '@/lib/api-client';
import { ApiClientProvider } from '@/lib/api-context';
import { SessionProvider, useSession } from '@/lib/auth';

import { MapScreen } from './MapScreen';

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        refetchOnWindowFocus: false,
        // client errors (4xx) are answers, not hiccups: show them at once
        retry: (count, error) => {
          const status = (error as { status?: number }).status ?? 0;
          return count < 2 && (status === 0 || status >= 500);
        },
      },
    },
  });
}

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

export function App({ config }: { config: RuntimeConfig }) {
  const queryClient = useMemo(() => makeQueryClient(), []);
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
