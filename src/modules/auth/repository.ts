import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../platform/db/index.js'
import { refreshTokens } from './schema.js'

export type RefreshTokenRow = typeof refreshTokens.$inferSelect

export function authRepository(db: Db) {
  return {
    async insertRefreshToken(row: Omit<RefreshTokenRow, 'createdAt' | 'rotatedAt' | 'revokedAt'>) {
      await db.primary.insert(refreshTokens).values(row)
    },

    /**
     * Marks a refresh token used and issues its successor, atomically. Returns what the presented token
     * was: unknown, expired, revoked, already rotated (a reuse), or rotated now.
     */
    async rotate(
      hash: Buffer,
      successor: { hash: Buffer; expiresAt: Date },
    ): Promise<{ outcome: 'rotated' | 'reused' | 'invalid'; userId?: string; familyId?: string }> {
      return db.primary.transaction(async (tx) => {
        const [row] = await tx
          .select()
          .from(refreshTokens)
          .where(eq(refreshTokens.tokenHash, hash))
          .for('update')
        if (!row || row.revokedAt || row.expiresAt.getTime() <= Date.now()) {
          return { outcome: 'invalid' as const }
        }
        if (row.rotatedAt) return { outcome: 'reused' as const, userId: row.userId, familyId: row.familyId }
        await tx.update(refreshTokens).set({ rotatedAt: sql`now()` }).where(eq(refreshTokens.tokenHash, hash))
        await tx.insert(refreshTokens).values({
          tokenHash: successor.hash,
          familyId: row.familyId,
          userId: row.userId,
          expiresAt: successor.expiresAt,
        })
        return { outcome: 'rotated' as const, userId: row.userId, familyId: row.familyId }
      })
    },

    async revokeFamily(familyId: string): Promise<void> {
      await db.primary
        .update(refreshTokens)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
    },

    async familyOf(hash: Buffer): Promise<string | undefined> {
      const [row] = await db.primary
        .select({ familyId: refreshTokens.familyId })
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, hash))
      return row?.familyId
    },
  }
}
export type AuthRepository = ReturnType<typeof authRepository>
