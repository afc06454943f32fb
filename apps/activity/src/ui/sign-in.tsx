import { type FormEvent, useState } from 'react';
import { rememberedName, standaloneRoom } from '../platform/standalone.ts';

/** Standalone mode: asked once, then remembered in this browser. */
export function SignIn({ error, onSubmit }: { error?: string; onSubmit: (name: string) => void }) {
  const [name, setName] = useState(rememberedName() ?? '');
  const { label: room, problem } = standaloneRoom(window.location.search);
  const trimmed = name.trim();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (trimmed) onSubmit(trimmed);
  };
  return (
    <div className="screen">
      <form className="sign-in" onSubmit={submit}>
        <div className="brand-mark" aria-hidden="true" />
        <h1 className="screen-title">Watch together</h1>
        <p className="screen-message">
          You are joining room <strong>{room}</strong>. What should the others call you?
        </p>
        {problem && (
          <p className="form-note" data-testid="room-problem">
            {problem}
          </p>
        )}
        <label className="field">
          <span>Your name</span>
          <input
            name="name"
            autoComplete="nickname"
            maxLength={32}
            // biome-ignore lint/a11y/noAutofocus: the only thing to do on this screen
            autoFocus
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. Ana"
          />
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn primary wide" disabled={!trimmed}>
          Join the watch party
        </button>
        <p className="fine-print">Standalone mode: guest sign-in. In Discord you are signed in with your account.</p>
      </form>
    </div>
  );
}
