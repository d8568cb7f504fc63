import { Route, Routes } from 'react-router'
import { RequireAuth } from '../components/RequireAuth'
import { NotFound } from '../pages/NotFound'
import { DropDashboard } from './DropDashboard'
import { NewDrop } from './NewDrop'
import { NewProduct } from './NewProduct'
import { StudioHome } from './StudioHome'

/** The creator studio: loaded only when a creator opens it, so shoppers never download it. */
export function StudioApp() {
  return (
    <RequireAuth>
      <Routes>
        <Route index element={<StudioHome />} />
        <Route path="products/new" element={<NewProduct />} />
        <Route path="drops/new" element={<NewDrop />} />
        <Route path="drops/:dropId" element={<DropDashboard />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </RequireAuth>
  )
}
