import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
} from 'react'
import { Link } from 'react-router'
import { ApiError, api } from '../lib/api'
import { ago, money, plural } from '../lib/format'
import { keys, useCreator, useDrop, useSession } from '../lib/queries'
import { live } from '../lib/realtime'
import type { AppNotification, Page } from '../lib/types'

/** One thing to tell the user, from the live `user` channel or the inbox. */
export interface Note {
  id: string
  type: string
  data: Record<string, unknown>
  at: string
  read: boolean
}

interface NotificationsState {
  toasts: Note[]
  dismiss(id: string): void
  /** The inbox when the API has one; otherwise what arrived live in this tab. */
  items: Note[]
  inboxAvailable: boolean
  loading: boolean
  unread: number
  markAllRead(): void
}

const Context = createContext<NotificationsState | undefined>(undefined)

export function useNotifications(): NotificationsState {
  const value = useContext(Context)
  if (!value) throw new Error('useNotifications outside NotificationsProvider')
  return value
}

const TOAST_TYPES = new Set(['drop.started', 'order.confirmed', 'order.cancelled', 'order.expired'])

export function NotificationsProvider({ children }: { children: ReactNode }) {
  const session = useSession()
  const userId = session?.user.user_id
  const client = useQueryClient()
  const [toasts, setToasts] = useState<Note[]>([])
  const [liveNotes, setLiveNotes] = useState<Note[]>([])

  // A new user starts with a clean slate (adjusted while rendering, before anything stale is shown).
  const [owner, setOwner] = useState(userId)
  if (owner !== userId) {
    setOwner(userId)
    setToasts([])
    setLiveNotes([])
  }

  useEffect(
    () =>
      live().listen((message) => {
        if (message.channel !== 'user' || message.type !== 'event' || !message.event) return
        if (!TOAST_TYPES.has(message.event)) return
        const note: Note = {
          id: `live-${message.seq}`,
          type: message.event,
          data: (message.data ?? {}) as Record<string, unknown>,
          at: message.at ?? new Date().toISOString(),
          read: false,
        }
        setToasts((current) => [...current.filter((t) => t.id !== note.id), note].slice(-4))
        setLiveNotes((current) => [note, ...current.filter((n) => n.id !== note.id)].slice(0, 50))
      }),
    [],
  )

  const inbox = useQuery({
    queryKey: [...keys.notifications, userId],
    enabled: Boolean(userId),
    queryFn: async ({ signal }) => {
      try {
        return await api.get<Page<AppNotification>>('/me/notifications?limit=20', signal)
      } catch (error) {
        // The inbox is optional: without it the bell shows what arrives live.
        if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null
        throw error
      }
    },
    retry: false,
    refetchInterval: 60_000,
  })
  const inboxAvailable = Boolean(inbox.data)

  const markRead = useMutation({
    mutationFn: () => api.post('/me/notifications/read', { all: true }),
    onSettled: () => client.invalidateQueries({ queryKey: keys.notifications }),
  })

  const dismiss = useCallback((id: string) => setToasts((current) => current.filter((t) => t.id !== id)), [])

  const value = useMemo<NotificationsState>(() => {
    const items: Note[] = inbox.data
      ? inbox.data.items.map((n) => ({
          id: n.notification_id,
          type: n.type,
          data: n.data,
          at: n.created_at,
          read: n.read,
        }))
      : liveNotes
    return {
      toasts,
      dismiss,
      items,
      inboxAvailable,
      loading: inbox.isPending && Boolean(userId),
      unread: items.filter((n) => !n.read).length,
      markAllRead() {
        if (inboxAvailable) markRead.mutate()
        setLiveNotes((current) => current.map((n) => ({ ...n, read: true })))
      },
    }
  }, [toasts, dismiss, inbox.data, inbox.isPending, liveNotes, inboxAvailable, markRead, userId])

  return <Context.Provider value={value}>{children}</Context.Provider>
}

/** Words and a link for one notification. */
function useNoteText(note: Note): { title: string; body: string; href?: string; action?: string } {
  const data = note.data
  const creator = useCreator(typeof data.creator_id === 'string' ? data.creator_id : undefined)
  const creatorName = creator.data?.creator_name ?? 'A creator you follow'
  const drop = useDrop(
    typeof data.drop_id === 'string' && note.type.startsWith('order.') ? data.drop_id : undefined,
  )
  switch (note.type) {
    case 'drop.started':
      return {
        title: `Live now: ${String(data.name ?? 'a new drop')}`,
        body: `${creatorName} just started a drop.`,
        href: `/drops/${String(data.drop_id)}`,
        action: 'Shop the drop',
      }
    case 'order.confirmed': {
      const items = Array.isArray(data.items) ? (data.items as { quantity: number }[]) : undefined
      const units = items?.reduce((n, i) => n + (i.quantity ?? 0), 0)
      const what = units ? plural(units, 'item') : (drop.data?.name ?? 'Your order')
      return {
        title: 'Order confirmed',
        body: `${what} · ${money(Number(data.total_amount ?? 0), String(data.currency ?? 'USD'))}`,
        href: '/orders',
        action: 'View order',
      }
    }
    case 'order.cancelled':
      return {
        title: 'Order cancelled',
        body: String(data.reason ?? 'The items went back on sale.'),
        href: '/orders',
      }
    case 'order.expired':
      return { title: 'Payment hold expired', body: 'The order was not paid in time.', href: '/orders' }
    case 'order.shipped':
      return { title: 'Order shipped', body: 'It is on its way.', href: '/orders' }
    default:
      return { title: note.type.replace(/[._]/g, ' '), body: '' }
  }
}

function Toast({ note, onDismiss }: { note: Note; onDismiss(): void }) {
  const text = useNoteText(note)
  const [paused, setPaused] = useState(false)
  useEffect(() => {
    if (paused) return
    const timer = setTimeout(onDismiss, 10_000)
    return () => clearTimeout(timer)
  }, [paused, onDismiss])
  return (
    <article
      aria-label={text.title}
      className={`toast toast--${note.type.replace('.', '-')}`}
      onMouseEnter={() => setPaused(true)}
      onMouseLeave={() => setPaused(false)}
      onFocus={() => setPaused(true)}
      onBlur={() => setPaused(false)}
    >
      <div className="toast__body">
        <p className="toast__title">{text.title}</p>
        {text.body && <p className="toast__text">{text.body}</p>}
        {text.href && text.action && (
          <Link className="toast__action" to={text.href} onClick={onDismiss}>
            {text.action}
          </Link>
        )}
      </div>
      <button type="button" className="icon-button toast__close" aria-label="Dismiss" onClick={onDismiss}>
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M6 6l12 12M18 6L6 18" />
        </svg>
      </button>
    </article>
  )
}

export function ToastViewport() {
  const { toasts, dismiss } = useNotifications()
  return (
    <section className="toasts" aria-label="Notifications" aria-live="polite">
      {toasts.map((note) => (
        <Toast key={note.id} note={note} onDismiss={() => dismiss(note.id)} />
      ))}
    </section>
  )
}

function NoteRow({ note, onNavigate }: { note: Note; onNavigate(): void }) {
  const text = useNoteText(note)
  const content = (
    <>
      <span className="inbox__title">
        {!note.read && <span className="dot" role="img" aria-label="Unread" />}
        {text.title}
      </span>
      {text.body && <span className="inbox__text">{text.body}</span>}
      <span className="inbox__time">{ago(note.at)}</span>
    </>
  )
  return (
    <li className="inbox__item">
      {text.href ? (
        <Link to={text.href} onClick={onNavigate}>
          {content}
        </Link>
      ) : (
        <div>{content}</div>
      )}
    </li>
  )
}

/** The bell: unread count, and a panel with the inbox (or this visit's live notifications). */
export function Bell() {
  const { items, unread, inboxAvailable, loading, markAllRead } = useNotifications()
  const [open, setOpen] = useState(false)
  const panelId = useId()
  const root = useRef<HTMLDivElement>(null)
  const button = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    if (!open) return
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false)
        button.current?.focus()
      }
    }
    const onClick = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false)
    }
    document.addEventListener('keydown', onKey)
    document.addEventListener('mousedown', onClick)
    return () => {
      document.removeEventListener('keydown', onKey)
      document.removeEventListener('mousedown', onClick)
    }
  }, [open])

  return (
    <div className="bell" ref={root}>
      <button
        ref={button}
        type="button"
        className="icon-button bell__button"
        aria-expanded={open}
        aria-controls={panelId}
        aria-label={unread > 0 ? `Notifications, ${unread} unread` : 'Notifications'}
        onClick={() => setOpen((value) => !value)}
      >
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M6 16V11a6 6 0 1 1 12 0v5l1.5 2h-15zM10 20a2 2 0 0 0 4 0" />
        </svg>
        {unread > 0 && (
          <span className="bell__badge num" aria-hidden="true">
            {unread > 9 ? '9+' : unread}
          </span>
        )}
      </button>
      {open && (
        <div className="bell__panel" id={panelId} role="dialog" aria-label="Notifications">
          <div className="bell__head">
            <h2>Notifications</h2>
            {unread > 0 && (
              <button type="button" className="link-button" onClick={markAllRead}>
                Mark all read
              </button>
            )}
          </div>
          {loading ? (
            <p className="muted small bell__empty">Loading…</p>
          ) : items.length === 0 ? (
            <p className="muted small bell__empty">
              Nothing yet. Follow creators to hear the moment their drops go live.
            </p>
          ) : (
            <ul className="inbox">
              {items.map((note) => (
                <NoteRow key={note.id} note={note} onNavigate={() => setOpen(false)} />
              ))}
            </ul>
          )}
          {!inboxAvailable && !loading && (
            <p className="bell__foot muted small">Showing what arrived while this page was open.</p>
          )}
        </div>
      )}
    </div>
  )
}
