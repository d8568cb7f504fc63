import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, Suspense, useEffect, useRef, useState, useSyncExternalStore } from 'react'
import {
  Link,
  NavLink,
  Outlet,
  ScrollRestoration,
  useLocation,
  useNavigate,
  useSearchParams,
} from 'react-router'
import { signOut } from '../lib/api'
import { applyLiveMessage, useSession } from '../lib/queries'
import { type LiveState, live } from '../lib/realtime'
import { Bell, NotificationsProvider, ToastViewport } from './Notifications'
import { Skeleton } from './ui'

function useLiveState(): LiveState {
  return useSyncExternalStore(
    (listener) => live().onState(listener),
    () => live().state,
  )
}

/** Feeds every live frame into the query cache, once for the whole app. */
function LiveBridge() {
  const client = useQueryClient()
  useEffect(() => live().listen((message) => applyLiveMessage(client, message)), [client])
  return null
}

function LiveIndicator() {
  const state = useLiveState()
  const text = state === 'live' ? 'Live updates on' : state === 'connecting' ? 'Connecting…' : 'Reconnecting…'
  return (
    <span className={`live-indicator live-indicator--${state}`} title={text}>
      <span className="live-indicator__dot" aria-hidden="true" />
      <span className="visually-hidden">{text}</span>
    </span>
  )
}

function HeaderSearch() {
  const navigate = useNavigate()
  const location = useLocation()
  const [params] = useSearchParams()
  const onSearchPage = location.pathname === '/search'
  const query = onSearchPage ? (params.get('q') ?? '') : ''
  const [text, setText] = useState(query)
  const input = useRef<HTMLInputElement>(null)
  // The box follows the address when something else changed it (the search page's own box, back and
  // forward, leaving the page); while someone types in it, it is the source and is left alone.
  useEffect(() => {
    if (document.activeElement !== input.current) setText(query)
  }, [query])
  const go = (value: string) =>
    navigate(`/search${value ? `?q=${encodeURIComponent(value)}` : ''}`, { replace: onSearchPage })
  const submit = (event: FormEvent) => {
    event.preventDefault()
    go(text.trim())
  }
  return (
    <search className="header-search">
      <form onSubmit={submit}>
        <label htmlFor="header-search" className="visually-hidden">
          Search products
        </label>
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <circle cx="11" cy="11" r="6.5" />
          <path d="M16 16l4.5 4.5" />
        </svg>
        <input
          ref={input}
          id="header-search"
          type="search"
          placeholder="Search products"
          autoComplete="off"
          value={text}
          onChange={(event) => {
            setText(event.target.value)
            // Results as you type: the search page follows the box.
            go(event.target.value)
          }}
        />
      </form>
    </search>
  )
}

function AccountMenu() {
  const session = useSession()
  const navigate = useNavigate()
  const location = useLocation()
  if (!session) {
    const next = location.pathname === '/signin' || location.pathname === '/signup' ? '' : location.pathname
    const query = next && next !== '/' ? `?next=${encodeURIComponent(next)}` : ''
    return (
      <div className="account">
        <Link className="button button--ghost" to={`/signin${query}`}>
          Sign in
        </Link>
        <Link className="button button--primary" to={`/signup${query}`}>
          Sign up
        </Link>
      </div>
    )
  }
  return (
    <div className="account">
      <Bell />
      <span className="account__name" title={session.user.email}>
        @{session.user.username}
      </span>
      <button
        type="button"
        className="button button--ghost"
        onClick={async () => {
          await signOut()
          navigate('/')
        }}
      >
        Sign out
      </button>
    </div>
  )
}

export function Layout() {
  const session = useSession()
  return (
    <NotificationsProvider>
      <LiveBridge />
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="site-header__inner">
          <Link to="/" className="brand" aria-label="LiveDrop home">
            <svg viewBox="0 0 32 32" aria-hidden="true">
              <rect width="32" height="32" rx="8" />
              <path d="M16 6c4.5 5.6 7 9.6 7 12.7A7 7 0 0 1 9 18.7C9 15.6 11.5 11.6 16 6z" />
            </svg>
            <span>LiveDrop</span>
          </Link>
          <HeaderSearch />
          <AccountMenu />
        </div>
        <nav className="site-nav" aria-label="Main">
          <div className="site-nav__inner">
            <NavLink to="/" end>
              Drops
            </NavLink>
            <NavLink to="/creators">Creators</NavLink>
            <NavLink to="/search">Search</NavLink>
            {session && <NavLink to="/orders">My orders</NavLink>}
            {session && <NavLink to="/studio">Studio</NavLink>}
            <LiveIndicator />
          </div>
        </nav>
      </header>
      <main id="main" className="site-main" tabIndex={-1}>
        <Suspense fallback={<Skeleton rows={3} />}>
          <Outlet />
        </Suspense>
      </main>
      <footer className="site-footer">
        <p>
          LiveDrop — open-source live drops. <a href="/docs">API docs</a>
        </p>
      </footer>
      <ToastViewport />
      <ScrollRestoration />
    </NotificationsProvider>
  )
}
