import { useEffect, useState } from 'react';

/**
 * True once the pointer has rested over (or not touched) the element for `ms`; any movement, tap or
 * key press wakes it. The stage uses it to fade the controls out of the picture while playing.
 * Takes the element itself (from a callback ref), so it attaches whenever the element appears: the
 * stage is rendered only once the room has answered.
 */
export function useIdle(element: HTMLElement | null, ms: number): boolean {
  const [idle, setIdle] = useState(false);
  useEffect(() => {
    if (!element) return;
    setIdle(false);
    let timer = window.setTimeout(() => setIdle(true), ms);
    const wake = () => {
      setIdle(false);
      window.clearTimeout(timer);
      timer = window.setTimeout(() => setIdle(true), ms);
    };
    const leave = (event: PointerEvent) => {
      // A touch "leaves" after every tap: only a mouse leaving the picture hides the controls at once.
      if (event.pointerType !== 'mouse') return;
      window.clearTimeout(timer);
      setIdle(true);
    };
    element.addEventListener('pointermove', wake);
    element.addEventListener('pointerdown', wake);
    element.addEventListener('pointerleave', leave);
    element.addEventListener('focusin', wake);
    window.addEventListener('keydown', wake);
    return () => {
      window.clearTimeout(timer);
      element.removeEventListener('pointermove', wake);
      element.removeEventListener('pointerdown', wake);
      element.removeEventListener('pointerleave', leave);
      element.removeEventListener('focusin', wake);
      window.removeEventListener('keydown', wake);
    };
  }, [element, ms]);
  return idle;
}
