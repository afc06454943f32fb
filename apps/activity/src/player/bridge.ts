/**
 * The few calls the main chunk makes into the lazily loaded player, without importing it (a static
 * import would pull video.js into the initial bundle).
 */
let gestureHandler: (() => void) | null = null;

export function setGestureHandler(handler: (() => void) | null): void {
  gestureHandler = handler;
}

/** Call from a user gesture (the "tap to start" overlay) after the browser refused to autoplay. */
export function resumeAfterGesture(): void {
  gestureHandler?.();
}
