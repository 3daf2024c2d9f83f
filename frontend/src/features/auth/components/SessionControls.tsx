import { useSession } from '@/lib/auth';

/** Sign in / out in the header; nothing when the site has no sign-in. */
export function SessionControls() {
  const session = useSession();
  if (!session.enabled) return null;
  if (!session.isSignedIn) {
    return (
      <div className="session">
        {session.error ? (
          <span className="problem-inline" role="alert">
            Sign-in failed: {session.error.message}
          </span>
        ) : null}
        <button type="button" onClick={() => void session.signIn()}>
          Sign in
        </button>
      </div>
    );
  }
  return (
    <div className="session">
      <span className="user" title={session.canWrite ? 'may edit features' : 'read-only'}>
        {session.userName}
        {session.canWrite ? '' : ' (read-only)'}
      </span>
      <button type="button" onClick={() => void session.signOut()}>
        Sign out
      </button>
    </div>
  );
}
