import type { Config } from './config.js'
import { createAuthModule } from './modules/auth/index.js'
import { createCreatorsModule } from './modules/creators/index.js'
import { createFollowsModule, followerCountsReader } from './modules/follows/index.js'
import { createUsersModule, type User } from './modules/users/index.js'
import type { Db } from './platform/db/index.js'
import { AppError } from './platform/http/errors.js'

export const DEMO_PASSWORD = 'Drop-demo-2026'

const CREATORS = [
  { username: 'nova_studio', creator_name: 'Nova Studio', bio: 'Limited streetwear capsules, dropped live.' },
  {
    username: 'kai_ceramics',
    creator_name: 'Kai Ceramics',
    bio: 'Small-batch stoneware, one firing at a time.',
  },
  { username: 'mira_sound', creator_name: 'Mira Sound', bio: 'Vinyl pressings and synth kits.' },
]
const SHOPPERS = ['alice', 'bob', 'carol']

/** Loads demo accounts; running it again keeps what is there. */
export async function seed(
  db: Db,
  config: Config,
  options: { demo: boolean; print: (line: string) => void },
) {
  const users = createUsersModule(db).service
  const auth = createAuthModule({
    config: { ...config, rateLimit: false },
    db,
    users,
    rateLimitStore: undefined as never,
  })
  const creators = createCreatorsModule(db, { users, followerCounts: followerCountsReader(db) }).service
  const follows = createFollowsModule(db, { creators, users }).service

  async function account(username: string): Promise<User> {
    const email = `${username}@demo.livedrop.dev`
    try {
      return (await auth.service.register({ email, username, password: DEMO_PASSWORD })).user
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'already_exists')) throw error
      return (await auth.service.login({ email, password: DEMO_PASSWORD }, 'seed')).user
    }
  }

  const creatorIds: string[] = []
  for (const spec of CREATORS) {
    const user = await account(spec.username)
    const creator =
      (await creators.byUser(user.user_id)) ??
      (await creators.become(user.user_id, { creator_name: spec.creator_name, bio: spec.bio }))
    creatorIds.push(creator.creator_id)
  }
  const shoppers: User[] = []
  for (const name of SHOPPERS) shoppers.push(await account(name))
  for (const shopper of shoppers) {
    for (const creatorId of creatorIds) await follows.follow(shopper.user_id, creatorId)
  }
  await follows.foldCounts()

  options.print('Seeded LiveDrop with demo accounts (password for all of them):')
  options.print(`  password: ${DEMO_PASSWORD}`)
  for (const spec of CREATORS)
    options.print(`  creator  ${spec.username}@demo.livedrop.dev  (${spec.creator_name})`)
  for (const name of SHOPPERS) options.print(`  shopper  ${name}@demo.livedrop.dev`)
  if (options.demo) options.print('Demo drops arrive with the flash-sale catalog.')
}
