import { ApiError } from '@/lib/api-client';

/** An error as the user sees it: the API problem's title and detail, or the error's message. */
export function ProblemMessage({ error, context }: { error: unknown; context?: string }) {
  const title = error instanceof ApiError ? error.title : error instanceof Error ? error.name : 'Error';
  const detail = error instanceof ApiError ? error.detail : error instanceof Error ? error.message : String(error);
  const status = error instanceof ApiError && error.status > 0 ? ` (HTTP ${error.status})` : '';
  return (
    <div className="problem" role="alert">
      {context ? <p className="problem-context">{context}</p> : null}
      <p className="problem-title">
        {title}
        {status}
      </p>
      {detail ? <p className="problem-detail">{detail}</p> : null}
    </div>
  );
}
