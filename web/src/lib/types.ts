/** The shapes of API.md, as the web app reads them. */

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface User {
  user_id: string
  email: string
  username: string
  profile_image_url: string | null
  roles: string[]
  created_at: string
}

export interface AuthReply {
  user: User
  access_token: string
  refresh_token: string
}

export interface Creator {
  creator_id: string
  user_id: string
  creator_name: string
  bio: string | null
  profile_image_url: string | null
  follower_count: number
  total_drops: number
  is_verified: boolean
  created_at: string
}

export interface FollowStatus {
  following: boolean
  since: string | null
}

export interface Variant {
  variant_id: string
  sku: string
  name: string
}

export interface Product {
  product_id: string
  creator_id: string
  name: string
  description: string | null
  base_price: number
  currency: string
  category: string | null
  images_urls: string[]
  variants: Variant[]
  is_active: boolean
  created_at: string
  updated_at: string
}

export type DropStatus = 'scheduled' | 'live' | 'ended'

export interface Drop {
  drop_id: string
  creator_id: string
  name: string
  description: string | null
  status: DropStatus
  start_time: string
  end_time: string
  total_inventory: number
  remaining_inventory: number
  sold_out: boolean
  low_stock_threshold: number
  per_user_limit: number
  created_at: string
  updated_at: string
}

export interface DropItem {
  product_id: string
  variant_id: string
  name: string
  drop_price: number
  currency: string
  initial_stock: number
  current_stock: number
}

export interface StockItem {
  product_id: string
  variant_id: string
  available: number
}

export interface Inventory {
  drop_id: string
  remaining_inventory: number
  sold_out: boolean
  items: StockItem[]
}

export type OrderStatus = 'pending' | 'confirmed' | 'cancelled' | 'expired' | 'shipped'

export interface OrderItem {
  product_id: string
  variant_id: string
  quantity: number
  unit_price: number
  total_price: number
}

export interface Order {
  order_id: string
  user_id: string
  drop_id: string
  status: OrderStatus
  items: OrderItem[]
  total_amount: number
  currency: string
  hold_expires_at: string | null
  created_at: string
  updated_at: string
}

export interface AppNotification {
  notification_id: string
  type: string
  data: Record<string, unknown>
  created_at: string
  read: boolean
}

/** RFC 9457 problem details as the API sends them. */
export interface Problem {
  type?: string
  title?: string
  status: number
  detail?: string
  code?: string
  errors?: { path: string; message: string }[]
}
