/** Public stock figures of a drop, as broadcast to watchers. */
export interface StockSnapshot {
  drop_id: string
  remaining_inventory: number
  /** Increases with every change; keep the highest seen. */
  version: number
  items: { product_id: string; variant_id: string; available: number }[]
}

export interface DropEvents {
  'drop.created': { drop_id: string; creator_id: string; creator_total_drops: number }
  'drop.started': { drop_id: string; creator_id: string; name: string; start_time: string; end_time: string }
  'drop.ended': { drop_id: string; creator_id: string; name: string; reason: 'scheduled' | 'ended_early' }
  'drop.updated': { drop_id: string }
  'stock.changed': StockSnapshot
  'stock.low': StockSnapshot & { low_stock_threshold: number }
  'drop.sold_out': { drop_id: string; creator_id: string }
}
export type DropTopic = keyof DropEvents

export function dropEvent<T extends DropTopic>(topic: T, dropId: string, payload: DropEvents[T]) {
  return { topic, key: dropId, payload }
}
