import { parseArgs } from 'node:util'
import dotenv from 'dotenv'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { createDb } from './platform/db/index.js'
import { migrate } from './platform/db/migrate.js'
import { createLogger } from './platform/logger.js'
import { seed } from './seed.js'

const USAGE = `Usage: livedrop <command> [options]

Commands:
  serve [--role api|realtime|worker|all]   migrate the database and serve (default command)
  migrate                                  apply pending database migrations and exit
  seed [--demo]                            load demo creators, shoppers and follows; --demo adds
                                           products, a live drop and one starting in 2 minutes

Configuration is read from the environment (and a .env file); see README.md.`

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: 'string' }, demo: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  })
  const command = positionals[0] ?? 'serve'
  if (values.help || !['serve', 'migrate', 'seed'].includes(command)) {
    console.log(USAGE)
    return values.help ? 0 : 2
  }
  dotenv.config({ quiet: true })
  const config = loadConfig(process.env, { role: values.role })

  if (command === 'serve') {
    const app = await buildApp(config)
    const address = await app.listen()
    app.http.log.info(
      `LiveDrop (${config.role}) listening on ${address.replace('0.0.0.0', 'localhost')} — API docs at /docs`,
    )
    return new Promise<number>((resolve) => {
      let stopping = false
      const stop = (signal: string) => {
        // A signal can arrive twice (a terminal's Ctrl-C reaches npm and the server, and npm forwards
        // it again); the first one starts the drain, repeats must not kill the process half-way.
        if (stopping) return
        stopping = true
        app.http.log.info({ signal }, 'draining and shutting down')
        app.close().then(
          () => {
            app.http.log.info('shut down cleanly')
            resolve(0)
          },
          (error) => {
            app.http.log.error({ err: error }, 'shutdown failed')
            resolve(1)
          },
        )
      }
      process.on('SIGTERM', () => stop('SIGTERM'))
      process.on('SIGINT', () => stop('SIGINT'))
    })
  }

  const logger = createLogger(config.logLevel)
  const db = await createDb({
    databaseUrl: config.databaseUrl,
    readUrls: [],
    poolSize: config.databasePoolSize,
    pgliteDir: `${config.dataDir}/pglite`,
  })
  try {
    const applied = await migrate(db, logger)
    if (command === 'migrate') {
      console.log(applied.length ? `Applied ${applied.join(', ')}` : 'Database is up to date')
      return 0
    }
    await seed(db, config, { demo: values.demo ?? false, print: console.log })
    return 0
  } finally {
    await db.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(78)
    }
    console.error(error)
    process.exit(1)
  },
)
