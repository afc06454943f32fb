import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, describeError, setSessionToken } from './lib/api.ts';
import { bootDiscord } from './platform/discord.ts';
import { isDiscordMode, type Platform } from './platform/platform.ts';
import { bootStandalone, forgetName, rememberedName } from './platform/standalone.ts';
import { exposeDebugHooks } from './room/debug-hooks.ts';
import { RoomSession } from './room/session.ts';
import { enterRoom, postNotice, setDiscordLayout, setParticipants, setUser } from './room/store.ts';
import { RoomView } from './ui/room-view.tsx';
import { FatalScreen, LoadingScreen } from './ui/screens.tsx';
import { SignIn } from './ui/sign-in.tsx';

type Boot =
  | { phase: 'starting'; message: string }
  | { phase: 'ask-name'; error?: string }
  | { phase: 'ready'; platform: Platform }
  | { phase: 'fatal'; title: string; detail: string };

function fatalFrom(error: unknown): Boot {
  if (error instanceof ApiError && error.code === 'network') {
    // The title says it; the detail says what to do (not the same sentence twice).
    return {
      phase: 'fatal',
      title: 'Cannot reach the server',
      detail: 'Check your connection, or whether the watch party server is running, then try again.',
    };
  }
  return { phase: 'fatal', title: 'Could not start the watch party', detail: describeError(error) };
}

/** Boot: find out where we run, sign in, then hand over to the room. */
export function App() {
  const discord = isDiscordMode(window.location.search);
  const [boot, setBoot] = useState<Boot>(() =>
    discord || rememberedName()
      ? { phase: 'starting', message: discord ? 'Connecting to Discord…' : 'Signing in…' }
      : { phase: 'ask-name' },
  );

  const start = useCallback(
    async (name?: string) => {
      setBoot({ phase: 'starting', message: discord ? 'Connecting to Discord…' : 'Signing in…' });
      try {
        const platform = discord
          ? await bootDiscord(window.location)
          : await bootStandalone(name ?? rememberedName() ?? 'Guest', window.location.search);
        setBoot({ phase: 'ready', platform });
      } catch (error) {
        if (!discord && error instanceof ApiError && error.status === 400) {
          setBoot({ phase: 'ask-name', error: error.message });
          return;
        }
        setBoot(fatalFrom(error));
      }
    },
    [discord],
  );

  // Only the first render starts by itself; later starts come from the sign-in form and retries.
  const autoStarted = useRef(false);
  useEffect(() => {
    if (autoStarted.current) return;
    autoStarted.current = true;
    if (boot.phase === 'starting') void start();
  }, [boot.phase, start]);

  if (boot.phase === 'ask-name') {
    return <SignIn error={boot.error} onSubmit={(name) => void start(name)} />;
  }
  if (boot.phase === 'starting') return <LoadingScreen message={boot.message} />;
  if (boot.phase === 'fatal') {
    return (
      <FatalScreen
        title={boot.title}
        detail={boot.detail}
        onRetry={() => void start()}
        onSignOut={
          discord
            ? undefined
            : () => {
                forgetName();
                setBoot({ phase: 'ask-name' });
              }
        }
      />
    );
  }
  return (
    <Room
      platform={boot.platform}
      onSignOut={() => {
        forgetName();
        window.location.reload();
      }}
    />
  );
}

function Room({ platform, onSignOut }: { platform: Platform; onSignOut: () => void }) {
  const [session, setSession] = useState<RoomSession | null>(null);

  useEffect(() => {
    let token = platform.session.token;
    setSessionToken(token);
    enterRoom({
      mode: platform.mode,
      user: platform.session.user,
      roomId: platform.roomId,
      roomLabel: platform.roomLabel,
      canManage: platform.canManage,
    });
    const room = new RoomSession({
      roomId: platform.roomId,
      instanceId: platform.instanceId,
      token: () => token,
      renewSession: async () => {
        const renewed = await platform.renewSession();
        token = renewed.token;
        setSessionToken(token);
        setUser(renewed.user);
      },
    });
    room.start();
    if (platform.roomNotice) postNotice({ text: platform.roomNotice, key: 'room-name', needsAction: true });
    setSession(room);
    const unwatch = platform.watchParticipants(setParticipants);
    const unwatchLayout = platform.watchLayout(setDiscordLayout);
    const unexpose = exposeDebugHooks(room);
    const leave = () => room.stop();
    window.addEventListener('pagehide', leave);
    return () => {
      window.removeEventListener('pagehide', leave);
      unexpose();
      unwatch();
      unwatchLayout();
      room.stop();
    };
  }, [platform]);

  if (!session) return <LoadingScreen message="Joining…" />;
  return <RoomView session={session} platform={platform} onSignOut={onSignOut} />;
}
