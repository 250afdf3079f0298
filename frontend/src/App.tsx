import { lazy, Suspense } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { AuthProvider } from './auth/AuthProvider';
import { SessionCheck } from './auth/SessionCheck';
import { AnnouncerProvider } from './components/Announcer';
import { Layout } from './components/Layout';
import { RequireAuth } from './components/RequireAuth';
import { HomePage } from './pages/HomePage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PollPage } from './pages/PollPage';

// Pages a poll's voters do not need are loaded when first visited, so the poll page
// downloads only its own code (see frontend/e2e/budget.mjs).
const InvitePage = lazy(() => import('./pages/InvitePage').then((m) => ({ default: m.InvitePage })));
const LoginPage = lazy(() => import('./pages/AuthPages').then((m) => ({ default: m.LoginPage })));
const SignupPage = lazy(() => import('./pages/AuthPages').then((m) => ({ default: m.SignupPage })));
const MyPollsPage = lazy(() => import('./pages/MyPollsPage').then((m) => ({ default: m.MyPollsPage })));
const EmbedPage = lazy(() => import('./pages/embed/EmbedPage').then((m) => ({ default: m.EmbedPage })));
const JoinPage = lazy(() => import('./pages/JoinPage').then((m) => ({ default: m.JoinPage })));
const PresentPage = lazy(() => import('./pages/present/PresentPage').then((m) => ({ default: m.PresentPage })));
const NewPollPage = lazy(() => import('./pages/NewPollPage').then((m) => ({ default: m.NewPollPage })));


export function App() {
  return (
    <BrowserRouter>
      <AnnouncerProvider>
        <AuthProvider>
          <SessionCheck />
          <Suspense fallback={<p className="loading">Loading…</p>}>
          <Routes>
            <Route path="embed/polls/:id" element={<EmbedPage />} />
            <Route path="polls/:id/present" element={<PresentPage />} />
            <Route element={<Layout />}>
              <Route index element={<HomePage />} />
              <Route path="login" element={<LoginPage />} />
              <Route path="signup" element={<SignupPage />} />
              <Route
                path="polls/new"
                element={
                  <RequireAuth>
                    <NewPollPage />
                  </RequireAuth>
                }
              />
              <Route path="polls/:id" element={<PollPage />} />
              <Route path="i/:code" element={<InvitePage />} />
              <Route path="j/:code" element={<JoinPage />} />
              <Route
                path="me"
                element={
                  <RequireAuth>
                    <MyPollsPage />
                  </RequireAuth>
                }
              />
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Routes>
          </Suspense>
        </AuthProvider>
      </AnnouncerProvider>
    </BrowserRouter>
  );
}
