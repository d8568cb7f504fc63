import DataLoader from 'dataloader'

/**
 * Calls made over one turn of the event loop, answered together: `run` gets up to `max` of their
 * arguments at once and returns one answer per argument, in order. Nothing is cached between turns.
 * For writes and reads that arrive by the thousand (a stampede of orders or follows), where one
 * statement per turn instead of one per call spares the database as many round trips and commits.
 */
export function perTurn<Arg, Answer>(
  run: (args: readonly Arg[]) => Promise<Answer[]>,
  max: number,
): (arg: Arg) => Promise<Answer> {
  const loader = new DataLoader<Arg, Answer>(run, {
    cache: false,
    maxBatchSize: max,
    batchScheduleFn: (dispatch) => setImmediate(dispatch),
  })
  return (arg) => loader.load(arg)
}
