import { AppError } from '../../platform/http/errors.js'
import { problemOf } from '../../platform/http/problem.js'
import type { StockRefused } from '../drops/index.js'
import type { ReserveOutcome } from '../inventory/index.js'

export type Refusal = StockRefused['reason']

/** A verdict of the gate that refuses the order. */
export type GateRefusal = Exclude<ReserveOutcome, 'ok'>

export const REFUSALS: Record<Refusal, () => AppError> = {
  drop_not_live: () => new AppError(409, 'drop_not_live', 'This drop is not live'),
  sold_out: () => new AppError(409, 'sold_out', 'Not enough stock left for this order'),
  purchase_limit_exceeded: () =>
    new AppError(409, 'purchase_limit_exceeded', 'This order would exceed the per-person limit of this drop'),
}

/**
 * The answers of the refusals a sale hands out by the thousand, serialised once; the same bytes as
 * the problem+json of an AppError with that status, code and message.
 */
export const REFUSAL_ANSWERS = Object.fromEntries(
  Object.entries(REFUSALS).map(([reason, make]) => {
    const error = make()
    return [
      reason,
      { status: error.status, body: JSON.stringify(problemOf(error.status, error.code, error.message)) },
    ]
  }),
) as Record<Refusal, { status: number; body: string }>

/**
 * The refusal each of the gate's refusing verdicts is answered with. A drop the gate still could not
 * load after loading it from the database has nothing left to sell.
 */
export const GATE_REFUSALS: Record<GateRefusal, Refusal> = {
  sold_out: 'sold_out',
  sold_out_held: 'sold_out',
  limit_exceeded: 'purchase_limit_exceeded',
  not_loaded: 'sold_out',
}

/** The answer to each of the gate's refusing verdicts, read by the reply and by the claim-and-reserve script. */
export const GATE_REFUSAL_ANSWERS = Object.fromEntries(
  (Object.keys(GATE_REFUSALS) as GateRefusal[]).map((outcome) => [
    outcome,
    REFUSAL_ANSWERS[GATE_REFUSALS[outcome]],
  ]),
) as Record<GateRefusal, { status: number; body: string }>
