import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useLocation, useNavigate } from 'react-router'
import { api } from '../lib/api'
import { describe } from '../lib/problems'
import { keys, useSession } from '../lib/queries'
import type { Creator, FollowStatus } from '../lib/types'

/** Follow / Following toggle; the follower count moves at once and settles with the server's figure. */
export function FollowButton({ creator }: { creator: Creator }) {
  const session = useSession()
  const navigate = useNavigate()
  const location = useLocation()
  const client = useQueryClient()
  const userId = session?.user.user_id
  const statusKey = ['follow', userId ?? '', creator.creator_id]
  const status = useQuery({
    queryKey: statusKey,
    queryFn: ({ signal }) => api.get<FollowStatus>(`/follows/${userId}/${creator.creator_id}/status`, signal),
    enabled: Boolean(userId),
  })
  const change = useMutation({
    mutationFn: async (follow: boolean) => {
      if (follow) await api.post('/follows', { creator_id: creator.creator_id })
      else await api.delete(`/follows/${creator.creator_id}`)
      return follow
    },
    onSuccess: (follow) => {
      const wasFollowing = status.data?.following ?? false
      client.setQueryData<FollowStatus>(statusKey, {
        following: follow,
        since: follow ? new Date().toISOString() : null,
      })
      if (wasFollowing !== follow) {
        client.setQueryData<Creator>(keys.creator(creator.creator_id), (current) =>
          current
            ? { ...current, follower_count: Math.max(0, current.follower_count + (follow ? 1 : -1)) }
            : current,
        )
      }
      // Counts are folded on the server a moment later; read the settled figure then.
      setTimeout(() => void client.invalidateQueries({ queryKey: keys.creator(creator.creator_id) }), 1_500)
    },
  })

  if (!session) {
    return (
      <button
        type="button"
        className="button button--primary"
        onClick={() => navigate(`/signin?next=${encodeURIComponent(location.pathname)}`)}
      >
        Follow
      </button>
    )
  }
  if (session.user.user_id === creator.user_id) return null
  const following = status.data?.following ?? false
  return (
    <div className="follow">
      <button
        type="button"
        className={`button ${following ? 'button--secondary' : 'button--primary'}`}
        aria-pressed={following}
        disabled={status.isPending || change.isPending}
        onClick={() => change.mutate(!following)}
      >
        {following ? 'Following' : 'Follow'}
      </button>
      {change.isError && (
        <p className="field-error" role="alert">
          {describe(change.error).detail}
        </p>
      )}
    </div>
  )
}
