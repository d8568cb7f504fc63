import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router'
import { Alert } from '../components/ui'
import { signIn, signUp } from '../lib/api'
import { useSession } from '../lib/queries'

/** Only paths of this app: never an open redirect to another site. */
function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/'
}

export function AuthPage({ mode }: { mode: 'signin' | 'signup' }) {
  const session = useSession()
  const navigate = useNavigate()
  const client = useQueryClient()
  const [params] = useSearchParams()
  const next = safeNext(params.get('next'))
  const [email, setEmail] = useState('')
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()

  if (session && !busy) return <Navigate to={next} replace />

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      if (mode === 'signin') await signIn(email.trim(), password)
      else await signUp(email.trim(), username.trim(), password)
      client.clear()
      navigate(next, { replace: true })
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  const other = mode === 'signin' ? '/signup' : '/signin'
  const query = next !== '/' ? `?next=${encodeURIComponent(next)}` : ''
  return (
    <div className="auth">
      <form className="card auth__card" onSubmit={submit} noValidate={false}>
        <h1>{mode === 'signin' ? 'Welcome back' : 'Create your account'}</h1>
        <p className="muted">
          {mode === 'signin'
            ? 'Sign in to buy, follow creators and get drop alerts.'
            : 'Follow creators and buy in seconds when their drops go live.'}
        </p>
        {error !== undefined && <Alert error={error} />}
        <div className="field">
          <label htmlFor="email">Email</label>
          <input
            id="email"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </div>
        {mode === 'signup' && (
          <div className="field">
            <label htmlFor="username">Username</label>
            <input
              id="username"
              autoComplete="username"
              required
              minLength={3}
              maxLength={30}
              pattern="[A-Za-z0-9_]+"
              aria-describedby="username-hint"
              value={username}
              onChange={(event) => setUsername(event.target.value)}
            />
            <p id="username-hint" className="hint">
              3–30 letters, digits or underscores.
            </p>
          </div>
        )}
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
            required
            minLength={mode === 'signup' ? 8 : undefined}
            aria-describedby={mode === 'signup' ? 'password-hint' : undefined}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          {mode === 'signup' && (
            <p id="password-hint" className="hint">
              At least 8 characters, mixing letters with digits or symbols.
            </p>
          )}
        </div>
        <button type="submit" className="button button--primary button--block" disabled={busy}>
          {busy ? 'One moment…' : mode === 'signin' ? 'Sign in' : 'Create account'}
        </button>
        <p className="muted small auth__switch">
          {mode === 'signin' ? 'New to LiveDrop? ' : 'Already have an account? '}
          <Link to={`${other}${query}`}>{mode === 'signin' ? 'Create an account' : 'Sign in'}</Link>
        </p>
      </form>
    </div>
  )
}
