// Sign up and sign in: one form, two mutations.
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useClient, useMutation } from 'urql';
import { runMutation } from '../api/call';
import { LoginMutation, RegisterMutation } from '../api/documents';
import { ClaimGuestVotesMutation } from '../api/guestDocuments';
import { apiErrors, describeError, formErrors, retryAfter, type ApiError } from '../api/errors';
import { useAuth } from '../auth/AuthProvider';
import { claimableGuestToken } from '../auth/session';
import { useAnnounce } from '../components/Announcer';
import { TextField } from '../components/Field';
import { Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { safeNext } from '../components/RequireAuth';
import { useCountdown } from '../hooks/useCountdown';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { useOnline } from '../hooks/useOnline';
import { checkPassword, checkUsername } from '../lib/account';
import { claimGuestVotes, type ClaimOutcome } from '../lib/claim';

type Mode = 'login' | 'signup';

const TEXT: Record<Mode, { title: string; submit: string; busy: string }> = {
  login: { title: 'Sign in', submit: 'Sign in', busy: 'Signing in…' },
  signup: { title: 'Create an account', submit: 'Sign up', busy: 'Creating account…' },
};

function AuthForm({ mode }: { mode: Mode }) {
  const text = TEXT[mode];
  useDocumentTitle(text.title);
  const { session, signIn, notice } = useAuth();
  const client = useClient();
  const [claiming, setClaiming] = useState(false);
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const announce = useAnnounce();
  const online = useOnline();
  const wait = useCountdown();

  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<ApiError[]>([]);

  const [registerState, register] = useMutation(RegisterMutation);
  const [loginState, login] = useMutation(LoginMutation);
  const busy = registerState.fetching || loginState.fetching || claiming;

  function focusField(key: string) {
    document.getElementById(`auth-${key}`)?.focus();
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (mode === 'signup') {
      const u = checkUsername(username.trim());
      const p = checkPassword(password);
      if (u) local.username = u;
      if (p) local.password = p;
    } else {
      if (!username.trim()) local.username = 'Enter your username.';
      if (!password) local.password = 'Enter your password.';
    }
    setFieldErrors(local);
    setGeneral([]);
    const firstInvalid = ['username', 'password'].find((k) => local[k]);
    if (firstInvalid) {
      focusField(firstInvalid);
      return;
    }

    const input = { username: username.trim(), password };
    const result = mode === 'signup' ? await register({ input }) : await login({ input });
    const payload = result.data && ('register' in result.data ? result.data.register : result.data.login);
    if (payload) {
      // A guest signing up or in: their guest ballots move to the account, once it is stored.
      const guestToken = claimableGuestToken(session);
      signIn({ token: payload.token, expiresAt: payload.expiresAt, user: payload.user });
      announce(`Signed in as ${payload.user.username}.`);
      let claim: ClaimOutcome | undefined;
      if (guestToken) {
        setClaiming(true);
        claim = await claimGuestVotes(
          async (token) => (await runMutation(client, ClaimGuestVotesMutation, { guestToken: token }, payload.token)).claimGuestVotes,
          guestToken,
        );
        setClaiming(false);
      }
      navigate(next, claim ? { state: { claim } } : undefined);
      return;
    }
    const errors = apiErrors(result.error);
    const split = formErrors(errors);
    setFieldErrors(split.fields);
    setGeneral(split.general);
    const seconds = retryAfter(errors);
    if (split.general.length) announce(split.general.map((e) => describeError(e, { online })).join(' '), 'assertive');
    if (seconds) wait.start(seconds);
    if (errors.some((e) => e.code === 'USERNAME_TAKEN')) {
      setFieldErrors({ username: 'That username is taken. Please choose another one.' });
      setGeneral([]);
      focusField('username');
    } else {
      const firstField = ['username', 'password'].find((k) => split.fields[k]);
      if (firstField && split.general.length === 0) focusField(firstField);
    }
  }

  const other =
    mode === 'login' ? (
      <p>
        New to Tally? <Link to={`/signup${params.toString() ? `?${params}` : ''}`}>Create an account</Link>.
      </p>
    ) : (
      <p>
        Already have an account? <Link to={`/login${params.toString() ? `?${params}` : ''}`}>Sign in</Link>.
      </p>
    );

  return (
    <div className="narrow">
      <PageHeading>{text.title}</PageHeading>
      {notice && mode === 'login' && <Notice tone="warning" role="status">
          {notice}
        </Notice>}
      {general.length > 0 && (
        <Notice tone="error" testId="form-error">
          {general.map((e, i) => (
            <p key={i}>{describeError(e, { online })}</p>
          ))}
        </Notice>
      )}
      <form onSubmit={onSubmit} noValidate className="stack">
        <TextField
          id="auth-username"
          label="Username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          hint={mode === 'signup' ? '3 to 32 letters, digits, “_” or “-”.' : undefined}
          error={fieldErrors.username}
        />
        <TextField
          id="auth-password"
          label="Password"
          name="password"
          type="password"
          autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          hint={mode === 'signup' ? 'At least 8 characters.' : undefined}
          error={fieldErrors.password}
        />
        <div className="actions">
          <button type="submit" className="button" disabled={busy || wait.remaining > 0}>
            {busy ? text.busy : wait.remaining > 0 ? `Try again in ${wait.remaining} s` : text.submit}
          </button>
        </div>
      </form>
      {other}
    </div>
  );
}

export function LoginPage() {
  return <AuthForm mode="login" />;
}

export function SignupPage() {
  return <AuthForm mode="signup" />;
}
