import { uuidv7 } from 'uuidv7'
import { uniqueViolation } from '../../platform/db/index.js'
import { AppError, forbidden, notFound } from '../../platform/http/errors.js'
import type { NewUser, UsersRepository } from './repository.js'
import type { UserRow } from './schema.js'

export interface User {
  user_id: string
  email: string
  username: string
  profile_image_url: string | null
  roles: string[]
  created_at: string
}

export interface Profile {
  user_id: string
  username: string
  profile_image_url: string | null
  created_at: string
}

const toUser = (row: UserRow): User => ({
  user_id: row.userId,
  email: row.email,
  username: row.username,
  profile_image_url: row.profileImageUrl,
  roles: row.roles,
  created_at: row.createdAt.toISOString(),
})

const toProfile = (row: UserRow): Profile => ({
  user_id: row.userId,
  username: row.username,
  profile_image_url: row.profileImageUrl,
  created_at: row.createdAt.toISOString(),
})

function duplicateError(error: unknown): AppError | undefined {
  const violation = uniqueViolation(error)
  if (!violation) return undefined
  const field = violation.constraint?.includes('username') ? 'username' : 'email'
  return new AppError(409, 'already_exists', `That ${field} is already taken`, {
    errors: [{ path: `/${field}`, message: 'is already taken' }],
  })
}

export function usersService(repo: UsersRepository) {
  return {
    /** Creates a shopper account; the password arrives already hashed. */
    async create(input: Omit<NewUser, 'userId'>): Promise<User> {
      try {
        return toUser(await repo.insert({ ...input, userId: uuidv7() }))
      } catch (error) {
        throw duplicateError(error) ?? error
      }
    },

    /** Credentials for login; undefined when no account has this email. */
    async credentials(email: string): Promise<{ user: User; passwordHash: string } | undefined> {
      const row = await repo.findByEmail(email)
      return row && { user: toUser(row), passwordHash: row.passwordHash }
    },

    async get(userId: string): Promise<User> {
      const row = await repo.findById(userId)
      if (!row) throw notFound('User')
      return toUser(row)
    },

    async exists(userId: string): Promise<boolean> {
      return (await repo.findById(userId)) !== undefined
    },

    async profile(userId: string): Promise<Profile> {
      const row = await repo.findById(userId)
      if (!row) throw notFound('User')
      return toProfile(row)
    },

    async updateProfile(
      actorId: string,
      userId: string,
      changes: { username?: string; profile_image_url?: string | null },
    ): Promise<Profile> {
      if (actorId !== userId) {
        if (!(await repo.findById(userId))) throw notFound('User')
        throw forbidden('You can only edit your own profile')
      }
      try {
        const row = await repo.update(userId, {
          username: changes.username,
          profileImageUrl: changes.profile_image_url,
        })
        if (!row) throw notFound('User')
        return toProfile(row)
      } catch (error) {
        throw duplicateError(error) ?? error
      }
    },

    usernames: (userIds: string[]) => repo.usernames(userIds),
    addRole: (userId: string, role: string) => repo.addRole(userId, role),
    removeRole: (userId: string, role: string) => repo.removeRole(userId, role),
  }
}
export type UsersService = ReturnType<typeof usersService>
