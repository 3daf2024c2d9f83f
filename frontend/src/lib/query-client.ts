import { QueryClient } from '@tanstack/react-query';

/** The app's one QueryClient: API client errors (4xx) are answers, shown at once; others are retried twice. */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        refetchOnWindowFocus: false,
        retry: (count, error) => {
          const status = (error as { status?: number }).status ?? 0;
          return count < 2 && (status === 0 || status >= 500);
        },
      },
    },
  });
}
