export interface Reply<T = any> {
  status: number
  headers: Headers
  body: T
}

/** A tiny JSON client over real HTTP. */
export function client(baseUrl: string) {
  async function request<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    let body: string | undefined
    if (options.raw !== undefined) {
      body = options.raw
      headers['content-type'] ??= 'application/json'
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] = 'application/json'
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body })
    const text = await response.text()
    let parsed: unknown = text
    if (text && (response.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text)
    return { status: response.status, headers: response.headers, body: parsed as T }
  }
  return {
    request,
    get: <T = any>(path: string, token?: string) => request<T>('GET', path, { token }),
    post: <T = any>(path: string, body: unknown, token?: string, headers?: Record<string, string>) =>
      request<T>('POST', path, { body, token, headers }),
    put: <T = any>(path: string, body: unknown, token?: string) => request<T>('PUT', path, { body, token }),
    delete: <T = any>(path: string, token?: string) => request<T>('DELETE', path, { token }),
  }
}
export type Client = ReturnType<typeof client>

let counter = 0
/** Registers a fresh user and returns its session. */
export async function register(api: Client, name?: string) {
  counter += 1
  const username = name ?? `u${Date.now().toString(36)}${counter}${Math.floor(Math.random() * 1e6)}`
  const reply = await api.post('/api/v1/auth/register', {
    email: `${username}@example.test`,
    username,
    password: 'Correct-horse-9',
  })
  if (reply.status !== 201) throw new Error(`register failed: ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply.body as {
    user: { user_id: string; username: string; email: string }
    access_token: string
    refresh_token: string
  }
}
