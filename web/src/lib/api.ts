import type { AuthReply, Problem, User } from './types'

export const API = '/api/v1'

/** An answer of the API that is not a success: its problem+json, with the stable `code`. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly problem: Problem
  /** Seconds from `Retry-After`, when the server sent one. */
  readonly retryAfter: number | undefined
  constructor(problem: Problem, retryAfter?: number) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`)
    this.name = 'ApiError'
    this.status = problem.status
    this.code = problem.code ?? `http_${problem.status}`
    this.problem = problem
    this.retryAfter = retryAfter
  }
}

/** The request never got an answer (offline, connection reset, timeout): it may or may not have arrived. */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super('The server could not be reached', { cause })
    this.name = 'NetworkError'
  }
}

// ---------------------------------------------------------------------------------------------
// Session: tokens in localStorage, shared by every tab of the app.
// ---------------------------------------------------------------------------------------------

export interface Session {
  access_token: string
  refresh_token: string
  user: User
}

const STORAGE_KEY = 'livedrop.session'
/** Refresh this long before the access token expires. */
const REFRESH_AHEAD_MS = 60_000

function readStored(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY)
    if (!raw) return null
    const parsed = JSON.parse(raw) as Session
    return parsed?.access_token && parsed.refresh_token && parsed.user ? parsed : null
  } catch {
    return null
  }
}

let session: Session | null = readStored()
const listeners = new Set<(session: Session | null) => void>()
let refreshTimer: ReturnType<typeof setTimeout> | undefined

function notify() {
  scheduleRefresh()
  for (const listener of listeners) listener(session)
}

export function getSession(): Session | null {
  return session
}

export function setSession(next: Session | null) {
  session = next
  try {
    if (next) localStorage.setItem(STORAGE_KEY, JSON.stringify(next))
    else localStorage.removeItem(STORAGE_KEY)
  } catch {
    // Private mode or a full quota: the session lives in memory for this tab.
  }
  notify()
}

export function onSessionChange(listener: (session: Session | null) => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

// Another tab signed in, out, or refreshed the tokens.
window.addEventListener('storage', (event) => {
  if (event.key !== STORAGE_KEY && event.key !== null) return
  session = readStored()
  notify()
})

/** When the access token stops being valid, in ms since the epoch (0 when it cannot be read). */
export function expiresAt(token: string): number {
  try {
    const payload = token.split('.')[1] ?? ''
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    const exp = (JSON.parse(json) as { exp?: number }).exp
    return typeof exp === 'number' ? exp * 1000 : 0
  } catch {
    return 0
  }
}

function scheduleRefresh() {
  clearTimeout(refreshTimer)
  if (!session) return
  const wait = expiresAt(session.access_token) - REFRESH_AHEAD_MS - Date.now()
  refreshTimer = setTimeout(
    () => {
      refreshTokens().catch(() => {})
    },
    Math.max(wait, 1_000),
  )
}

let refreshing: Promise<void> | undefined

/**
 * Rotates the tokens once, however many callers ask at the same time. Refresh tokens are single-use
 * (reusing one signs the user out everywhere), so tabs take turns through a Web Lock and a tab that
 * finds the tokens already rotated by another one just adopts them.
 */
export function refreshTokens(): Promise<void> {
  refreshing ??= withLock(async () => {
    const before = session
    const stored = readStored()
    if (!stored) {
      if (session) setSession(null)
      return
    }
    if (
      stored.access_token !== before?.access_token &&
      expiresAt(stored.access_token) - Date.now() > 30_000
    ) {
      session = stored
      notify()
      return
    }
    let response: Response
    try {
      response = await fetch(`${API}/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: stored.refresh_token }),
        signal: AbortSignal.timeout(15_000),
      })
    } catch (error) {
      throw new NetworkError(error)
    }
    if (response.status === 401) {
      setSession(null)
      return
    }
    if (!response.ok) throw await toApiError(response)
    const tokens = (await response.json()) as Pick<AuthReply, 'access_token' | 'refresh_token'>
    setSession({ ...stored, ...tokens })
  }).finally(() => {
    refreshing = undefined
  })
  return refreshing
}

async function withLock(work: () => Promise<void>): Promise<void> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks
  if (!locks) return work()
  await locks.request('livedrop.refresh', work)
}

/** A valid access token (refreshed first when it is about to expire), or undefined when signed out. */
export async function accessToken(): Promise<string | undefined> {
  if (!session) return undefined
  if (expiresAt(session.access_token) - Date.now() < 10_000) await refreshTokens()
  return session?.access_token
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

async function toApiError(response: Response): Promise<ApiError> {
  let problem: Problem = { status: response.status }
  try {
    const body = (await response.json()) as Partial<Problem>
    problem = { ...body, status: response.status }
  } catch {
    problem.detail = response.statusText || `The server answered ${response.status}`
  }
  const retryAfter = Number(response.headers.get('retry-after'))
  return new ApiError(problem, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined)
}

export interface RequestOptions {
  body?: unknown
  headers?: Record<string, string>
  signal?: AbortSignal
  /** ms before the request counts as a network failure (default 15 s). */
  timeoutMs?: number
}

export interface Reply<T> {
  status: number
  body: T
  headers: Headers
}

/** One API call: JSON in and out, bearer token when signed in, one silent refresh and retry on 401. */
export async function request<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Reply<T>> {
  const send = async (token: string | undefined) => {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
    if (token) headers.authorization = `Bearer ${token}`
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000)
    try {
      return await fetch(`${API}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      })
    } catch (error) {
      if (options.signal?.aborted) throw error
      throw new NetworkError(error)
    }
  }
  const token = await accessToken()
  let response = await send(token)
  if (response.status === 401 && token) {
    await refreshTokens()
    if (session) response = await send(session.access_token)
  }
  if (!response.ok) throw await toApiError(response)
  const text = response.status === 204 ? '' : await response.text()
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : undefined) as T,
    headers: response.headers,
  }
}

export const api = {
  get: async <T>(path: string, signal?: AbortSignal) => (await request<T>('GET', path, { signal })).body,
  post: async <T>(path: string, body?: unknown) => (await request<T>('POST', path, { body })).body,
  put: async <T>(path: string, body: unknown) => (await request<T>('PUT', path, { body })).body,
  delete: async (path: string) => {
    await request<void>('DELETE', path)
  },
}

/** Query strings without the undefined values. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value))
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}

// ---------------------------------------------------------------------------------------------
// Account
// ---------------------------------------------------------------------------------------------

export async function signIn(email: string, password: string): Promise<User> {
  const reply = await api.post<AuthReply>('/auth/login', { email, password })
  setSession(reply)
  return reply.user
}

export async function signUp(email: string, username: string, password: string): Promise<User> {
  const reply = await api.post<AuthReply>('/auth/register', { email, username, password })
  setSession(reply)
  return reply.user
}

export async function signOut(): Promise<void> {
  const current = session
  setSession(null)
  if (current) {
    await fetch(`${API}/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: current.refresh_token }),
    }).catch(() => {})
  }
}

/** Keeps the stored user (roles, name) in step with the server, e.g. after becoming a creator. */
export function updateSessionUser(user: User) {
  if (session) setSession({ ...session, user })
}

/** A random v4 UUID, also where `crypto.randomUUID` is missing (plain-HTTP origins other than localhost). */
export function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
