import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';

const ITEMS = '[role="menuitem"]:not(:disabled), [role="menuitemradio"]:not(:disabled)';
const itemsIn = (pop: HTMLElement | null) => [...(pop?.querySelectorAll<HTMLElement>(ITEMS) ?? [])];

/**
 * A menu button with a small popover, as the WAI-ARIA menu button pattern: Enter, Space or ↓ opens
 * it on its first (or checked) item, ↑ on its last; ↑/↓ move, Home/End jump, Escape closes and gives
 * focus back to the button, Tab closes. An outside click closes it too.
 */
export function Menu({
  label,
  icon,
  children,
  align = 'right',
  className,
  testId,
}: {
  label: string;
  icon: ReactNode;
  children: (close: () => void) => ReactNode;
  align?: 'left' | 'right';
  className?: string;
  testId?: string;
}) {
  const [open, setOpen] = useState<false | 'first' | 'last'>(false);
  const ref = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const popRef = useRef<HTMLDivElement>(null);
  const id = useId();
  const items = () => itemsIn(popRef.current);

  useEffect(() => {
    if (!open) return;
    const list = itemsIn(popRef.current);
    const checked = list.find((item) => item.getAttribute('aria-checked') === 'true');
    (open === 'last' ? list.at(-1) : (checked ?? list[0]))?.focus();
    const onDown = (event: PointerEvent) => {
      if (ref.current && !ref.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onDown);
    return () => document.removeEventListener('pointerdown', onDown);
  }, [open]);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) buttonRef.current?.focus();
  };

  const onMenuKey = (event: KeyboardEvent<HTMLDivElement>) => {
    const list = items();
    const at = list.indexOf(document.activeElement as HTMLElement);
    let next: number | null = null;
    switch (event.key) {
      case 'ArrowDown':
        next = (at + 1) % list.length;
        break;
      case 'ArrowUp':
        next = (at - 1 + list.length) % list.length;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = list.length - 1;
        break;
      case 'Escape':
        event.preventDefault();
        event.stopPropagation();
        close(true);
        return;
      case 'Tab':
        close(false);
        return;
      default:
        return;
    }
    event.preventDefault();
    list[next]?.focus();
  };

  const onButtonKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      setOpen(event.key === 'ArrowUp' ? 'last' : 'first');
    }
  };

  return (
    <div className={`menu ${className ?? ''}`} ref={ref}>
      <button
        ref={buttonRef}
        type="button"
        className="icon-btn"
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open !== false}
        aria-controls={open ? id : undefined}
        data-testid={testId}
        onClick={() => setOpen((o) => (o ? false : 'first'))}
        onKeyDown={onButtonKey}
      >
        {icon}
      </button>
      {open && (
        <div
          ref={popRef}
          className={`menu-pop align-${align}`}
          id={id}
          role="menu"
          aria-label={label}
          tabIndex={-1}
          onKeyDown={onMenuKey}
        >
          {children(() => close(true))}
        </div>
      )}
    </div>
  );
}

export function MenuItem({
  children,
  onSelect,
  checked,
  disabled,
}: {
  children: ReactNode;
  onSelect: () => void;
  checked?: boolean;
  disabled?: boolean;
}) {
  if (checked === undefined) {
    return (
      <button type="button" role="menuitem" tabIndex={-1} className="menu-item" disabled={disabled} onClick={onSelect}>
        {children}
      </button>
    );
  }
  return (
    <button
      type="button"
      role="menuitemradio"
      tabIndex={-1}
      aria-checked={checked}
      className={`menu-item${checked ? ' checked' : ''}`}
      disabled={disabled}
      onClick={onSelect}
    >
      {children}
    </button>
  );
}

export function MenuLabel({ children }: { children: ReactNode }) {
  return (
    <div className="menu-label" role="presentation">
      {children}
    </div>
  );
}
