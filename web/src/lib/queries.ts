import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useSyncExternalStore } from 'react'
import { ApiError, api, getSession, onSessionChange, qs, type Session } from './api'
import { type LiveMessage, live } from './realtime'
import type { Creator, Drop, DropItem, DropStatus, Inventory, Page, Product, StockItem } from './types'

export const keys = {
  drop: (id: string) => ['drop', id] as const,
  dropItems: (id: string) => ['drop', id, 'items'] as const,
  inventory: (id: string) => ['drop', id, 'inventory'] as const,
  drops: (params: { status?: DropStatus; creator_id?: string } = {}) => ['drops', params] as const,
  creator: (id: string) => ['creator', id] as const,
  product: (id: string) => ['product', id] as const,
  orders: (userId: string) => ['orders', userId] as const,
  dropOrders: (dropId: string) => ['drop-orders', dropId] as const,
  notifications: ['notifications'] as const,
  myCreator: (userId: string) => ['my-creator', userId] as const,
}

/** Inventory in the cache, with when the live socket last set it. */
export type LiveInventory = Inventory & { liveAt?: number }

export function useSession(): Session | null {
  return useSyncExternalStore(onSessionChange, getSession)
}

export const useDrop = (id: string | undefined) =>
  useQuery({
    queryKey: keys.drop(id ?? ''),
    queryFn: ({ signal }) => api.get<Drop>(`/drops/${id}`, signal),
    enabled: Boolean(id),
  })

export const useDropItems = (id: string) =>
  useQuery({
    queryKey: keys.dropItems(id),
    queryFn: ({ signal }) => api.get<{ items: DropItem[] }>(`/drops/${id}/items`, signal),
    select: (data) => data.items,
  })

/** A drop's stock: fetched once, then moved by the live socket (see `useLiveDrop`). */
export function useInventory(id: string, options: { fetch?: boolean } = {}) {
  const client = useQueryClient()
  return useQuery<LiveInventory>({
    queryKey: keys.inventory(id),
    queryFn: async ({ signal }) => {
      const started = Date.now()
      const fetched = await api.get<Inventory>(`/drops/${id}/inventory`, signal)
      // A live figure that arrived while this request was out is newer than its answer.
      const cached = client.getQueryData<LiveInventory>(keys.inventory(id))
      return cached?.liveAt && cached.liveAt > started ? cached : fetched
    },
    enabled: options.fetch ?? true,
    staleTime: Number.POSITIVE_INFINITY,
  })
}

export function useDrops(params: { status?: DropStatus; creator_id?: string; limit?: number }) {
  const { limit = 24, ...filters } = params
  return useQuery({
    queryKey: [...keys.drops(filters), limit],
    queryFn: ({ signal }) => api.get<Page<Drop>>(`/drops${qs({ ...filters, limit })}`, signal),
    select: (page) => page.items,
  })
}

export const useCreator = (id: string | undefined) =>
  useQuery({
    queryKey: keys.creator(id ?? ''),
    queryFn: ({ signal }) => api.get<Creator>(`/creators/${id}`, signal),
    enabled: Boolean(id),
    staleTime: 60_000,
  })

export const useProduct = (id: string | undefined) =>
  useQuery({
    queryKey: keys.product(id ?? ''),
    queryFn: ({ signal }) => api.get<Product>(`/products/${id}`, signal),
    enabled: Boolean(id),
    staleTime: 5 * 60_000,
  })

export function useProducts(
  params: { q?: string; creator_id?: string; active_only?: boolean; limit?: number },
  enabled = true,
) {
  return useQuery({
    queryKey: ['products', params],
    enabled,
    queryFn: ({ signal }) => api.get<Page<Product>>(`/products${qs(params)}`, signal),
    placeholderData: (previous) => previous,
  })
}

/** Keeps `drop:<id>` subscribed on the live socket while the calling component is mounted. */
export function useLiveDrop(dropId: string | undefined) {
  useEffect(() => {
    if (!dropId) return
    return live().watchDrop(dropId)
  }, [dropId])
}

/** The caller's creator profile (null when not a creator), asked of the API once per user. */
export function useMyCreator() {
  const session = useSession()
  const userId = session?.user.user_id
  return useQuery({
    queryKey: keys.myCreator(userId ?? ''),
    enabled: Boolean(userId),
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: async ({ signal }): Promise<Creator | null> => {
      try {
        return await api.get<Creator>('/me/creator', signal)
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null
        throw error
      }
    },
  })
}

interface DropSnapshot extends Inventory {
  status?: DropStatus
}

/** Applies one live frame to the query cache: stock figures in place, state changes by refetching. */
export function applyLiveMessage(client: QueryClient, message: LiveMessage) {
  const channel = message.channel
  if (!channel?.startsWith('drop:')) {
    if (channel === 'user' && message.type === 'event') {
      if (message.event?.startsWith('order.')) void client.invalidateQueries({ queryKey: ['orders'] })
      if (message.event === 'drop.started') void client.invalidateQueries({ queryKey: ['drops'] })
      void client.invalidateQueries({ queryKey: keys.notifications })
    }
    return
  }
  const dropId = channel.slice(5)
  const setStock = (data: { remaining_inventory: number; items: StockItem[] }) => {
    client.setQueryData<LiveInventory>(keys.inventory(dropId), {
      drop_id: dropId,
      remaining_inventory: data.remaining_inventory,
      sold_out: data.remaining_inventory === 0,
      items: data.items,
      liveAt: Date.now(),
    })
    client.setQueryData<Drop>(keys.drop(dropId), (drop) =>
      drop
        ? { ...drop, remaining_inventory: data.remaining_inventory, sold_out: data.remaining_inventory === 0 }
        : drop,
    )
  }
  if (message.type === 'snapshot') {
    const data = message.data as DropSnapshot
    setStock(data)
    const cached = client.getQueryData<Drop>(keys.drop(dropId))
    if (data.status && cached && cached.status !== data.status) refreshDrop(client, dropId)
    return
  }
  if (message.type !== 'event') return
  switch (message.event) {
    case 'stock.changed':
    case 'stock.low':
      setStock(message.data as Inventory)
      void client.invalidateQueries({ queryKey: keys.dropOrders(dropId) })
      return
    case 'drop.started':
    case 'drop.ended':
    case 'drop.sold_out':
      refreshDrop(client, dropId)
      return
  }
}

function refreshDrop(client: QueryClient, dropId: string) {
  void client.invalidateQueries({ queryKey: keys.drop(dropId), exact: true })
  void client.invalidateQueries({ queryKey: ['drops'] })
}
