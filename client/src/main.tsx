/** Entry: mounts <App/> — or the teacher's classroom dashboard (`?view=classroom`), or a student's canvas read-only (`?view=student&student=ID`). */
import '@xyflow/react/dist/base.css';
import './styles.css';
import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { installView, viewFromSearch } from './classroom/viewMode';

const Dashboard = lazy(() => import('./classroom/Dashboard'));
const view = new URLSearchParams(location.search).get('view');
const readOnly = viewFromSearch(location.search);
if (readOnly) installView(readOnly);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {view === 'classroom' ? (
      <Suspense fallback={null}>
        <Dashboard />
      </Suspense>
    ) : (
      <App />
    )}
  </StrictMode>,
);
