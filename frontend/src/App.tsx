import { BrowserRouter, Route, Routes } from 'react-router';
import { AuthProvider } from './auth/AuthProvider';
import { SessionCheck } from './auth/SessionCheck';
import { AnnouncerProvider } from './components/Announcer';
import { Layout } from './components/Layout';
import { RequireAuth } from './components/RequireAuth';
import { HomePage } from './pages/HomePage';
import { InvitePage } from './pages/InvitePage';
import { LoginPage, SignupPage } from './pages/AuthPages';
import { MyPollsPage } from './pages/MyPollsPage';
import { NewPollPage } from './pages/NewPollPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PollPage } from './pages/PollPage';

export function App() {
  return (
    <BrowserRouter>
      <AnnouncerProvider>
        <AuthProvider>
          <SessionCheck />
          <Routes>
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
        </AuthProvider>
      </AnnouncerProvider>
    </BrowserRouter>
  );
}
