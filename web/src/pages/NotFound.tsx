import { Link } from 'react-router'
import { Empty } from '../components/ui'

export function NotFound() {
  return (
    <Empty
      title="This page doesn’t exist"
      action={
        <Link className="button button--primary" to="/">
          Back to live drops
        </Link>
      }
    >
      The link may be old, or the drop may have been removed.
    </Empty>
  )
}
