// Child process: the bare node:http hello-world every HTTP benchmark is compared with.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serveParent } from './child.js'

const body = Buffer.from(JSON.stringify({ hello: 'world' }))
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
  response.end(body)
})

const parent = serveParent(
  async () => undefined,
  () => new Promise<void>((resolve) => server.close(() => resolve())),
)
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  parent.ready(`http://127.0.0.1:${port}`)
})
