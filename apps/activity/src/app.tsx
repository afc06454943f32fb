import { useEffect, useState } from 'react';

type Health = 'checking' | 'ok' | 'down';

/** Placeholder until the watch-party UI lands: shows that the server answers. */
export function App() {
  const [health, setHealth] = useState<Health>('checking');
  useEffect(() => {
    fetch('/healthz')
      .then((response) => setHealth(response.ok ? 'ok' : 'down'))
      .catch(() => setHealth('down'));
  }, []);
  return (
    <main
      style={{
        fontFamily: 'system-ui, sans-serif',
        padding: '2rem',
        color: '#eee',
        background: '#1e1f22',
        minHeight: '100vh',
      }}
    >
      <h1>Discord Plex Player</h1>
      <p>Watch Plex together in a Discord voice channel.</p>
      <p data-testid="server-health">Server: {health}</p>
    </main>
  );
}
