/** Gradients that read well behind white initials. */
const PALETTE = [
  ['#ff5f6d', '#ffc371'],
  ['#7f5af0', '#2cb1bc'],
  ['#ff3d57', '#a83279'],
  ['#1d976c', '#2f80ed'],
  ['#f7971e', '#e8503a'],
  ['#4e54c8', '#8f94fb'],
  ['#0f9b8e', '#3a7bd5'],
  ['#c33764', '#1d2671'],
  ['#ee0979', '#ff6a00'],
  ['#2b5876', '#4e4376'],
] as const

/** A cover without a photo: a gradient chosen from the id, the same on every visit, with initials. */
export function Cover({ id, label, className = '' }: { id: string; label: string; className?: string }) {
  let hash = 0
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
  const [from, to] = PALETTE[hash % PALETTE.length]!
  const initials = label
    .split(/\s+/)
    .filter((word) => /^[\p{L}\p{N}]/u.test(word))
    .slice(0, 2)
    .map((word) => word[0]!.toUpperCase())
    .join('')
  return (
    <div
      className={`cover ${className}`}
      style={{ background: `linear-gradient(135deg, ${from}, ${to})` }}
      aria-hidden="true"
    >
      <span>{initials}</span>
    </div>
  )
}
