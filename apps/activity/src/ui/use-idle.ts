import { type RefObject, useEffect, useState } from 'react';

/**
 * True once the pointer has rested over (or not touched) the element for `ms`; any movement, tap or
 * key press wakes it. The stage uses it to fade the controls out of the picture while playing.
 */
export function useIdle(ref: RefObject<HTMLElement | null>, ms: number): boolean {
  const [idle, setIdle] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    let timer = window.setTimeout(() => setIdle(true), ms);
    const wake = () => {
      setIdle(false);
      window.clearTimeout(timer);
      timer = window.setTimeout(() => setIdle(true), ms);
    };
    const leave = () => {
      window.clearTimeout(timer);
      setIdle(true);
    };
    element.addEventListener('pointermove', wake);
    element.addEventListener('pointerdown', wake);
    element.addEventListener('pointerleave', leave);
    window.addEventListener('keydown', wake);
    return () => {
      window.clearTimeout(timer);
      element.removeEventListener('pointermove', wake);
      element.removeEventListener('pointerdown', wake);
      element.removeEventListener('pointerleave', leave);
      window.removeEventListener('keydown', wake);
    };
  }, [ref, ms]);
  return idle;
}
