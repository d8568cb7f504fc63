import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { createBrowserRouter, RouterProvider, useRouteError } from 'react-router'
import { Layout } from './components/Layout'
import { RequireAuth } from './components/RequireAuth'
import { ErrorState } from './components/ui'
import { ApiError, NetworkError } from './lib/api'
import { AuthPage } from './pages/AuthPage'
import { CreatorPage } from './pages/CreatorPage'
import { CreatorsPage } from './pages/CreatorsPage'
import { DropPage } from './pages/DropPage'
import { Home } from './pages/Home'
import { NotFound } from './pages/NotFound'
import { OrdersPage } from './pages/OrdersPage'
import { SearchPage } from './pages/SearchPage'
import './styles.css'

// A deploy replaced the hashed files this page was built with: load the new version.
window.addEventListener('vite:preloadError', () => window.location.reload())

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // Only what may pass by itself: no answer, or the server's own trouble. A 404 stays a 404.
      retry: (count, error) =>
        count < 2 && (error instanceof NetworkError || (error instanceof ApiError && error.status >= 500)),
    },
  },
})

function RouteError() {
  const error = useRouteError()
  return (
    <div className="narrow">
      <ErrorState error={error} onRetry={() => window.location.reload()} />
    </div>
  )
}

const router = createBrowserRouter([
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <Home /> },
      { path: 'drops/:dropId', element: <DropPage /> },
      { path: 'creators', element: <CreatorsPage /> },
      { path: 'creators/:creatorId', element: <CreatorPage /> },
      { path: 'search', element: <SearchPage /> },
      {
        path: 'orders',
        element: (
          <RequireAuth>
            <OrdersPage />
          </RequireAuth>
        ),
      },
      { path: 'signin', element: <AuthPage mode="signin" /> },
      { path: 'signup', element: <AuthPage mode="signup" /> },
      {
        path: 'studio/*',
        lazy: async () => ({ Component: (await import('./studio/StudioApp')).StudioApp }),
      },
      { path: '*', element: <NotFound /> },
    ],
  },
])

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
)
