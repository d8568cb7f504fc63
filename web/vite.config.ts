import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import react from '@vitejs/plugin-react'
import { defineConfig, type Plugin } from 'vite'

const root = fileURLToPath(new URL('.', import.meta.url))
/** Where `vite` (the dev server) sends API and WebSocket calls: a running `npm start`. */
const api = process.env.LIVEDROP_API ?? 'http://localhost:3000'

/**
 * Writes `app.html`, the page for every path but `/`: `index.html` without the home page's static
 * hero (between `<!--home-->` and `<!--/home-->`). Then `.br` and `.gz` beside every text file of the
 * build; the server sends them to clients that accept them.
 */
function finishBuild(): Plugin {
  let outDir = ''
  return {
    name: 'livedrop-finish-build',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir)
    },
    writeBundle() {
      const index = readFileSync(join(outDir, 'index.html'), 'utf8')
      const app = index.replace(/[ \t]*<!--home-->[\s\S]*?<!--\/home-->\n?/, '')
      if (app === index) throw new Error('index.html lost its <!--home--> … <!--/home--> markers')
      writeFileSync(join(outDir, 'app.html'), app)
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name)
          return statSync(path).isDirectory() ? walk(path) : [path]
        })
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json|txt)$/.test(file) || file.includes('/.vite/')) continue
        const bytes = readFileSync(file)
        if (bytes.length < 1024) continue
        writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }))
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } }),
        )
      }
    },
  }
}

export default defineConfig({
  root,
  plugins: [react(), finishBuild()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    reportCompressedSize: false,
    // The timing report names our own precompression step, which is expected to take a moment.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: {
    proxy: {
      '/api': api,
      '/docs': api,
      '/ws': { target: api.replace(/^http/, 'ws'), ws: true },
    },
  },
})
