import type { MediaPort } from '@dpp/shared';

/** What the adapter needs from video.js (kept narrow so the adapter does not depend on its types). */
export interface VideoJsLike {
  play(): Promise<unknown> | undefined;
  pause(): void;
  currentTime(seconds?: number): number | undefined;
  playbackRate(rate?: number): number | undefined;
}

export interface AutoplayHooks {
  /** The browser refused sound: the player went on muted. */
  startedMuted(): void;
  /** Not even a muted start was allowed: a tap is needed. */
  blocked(): void;
}

/**
 * The sync controller's view of a video.js player. Reads come straight from the <video> element
 * (precise, uncached); writes go through video.js so its HLS engine sees every seek.
 */
export class VideoJsMedia implements MediaPort {
  constructor(
    private readonly player: VideoJsLike,
    private readonly video: HTMLVideoElement,
    private readonly autoplay: AutoplayHooks,
  ) {}

  get positionMs(): number {
    return this.video.currentTime * 1000;
  }

  get paused(): boolean {
    return this.video.paused;
  }

  get seeking(): boolean {
    return this.video.seeking;
  }

  get canPlay(): boolean {
    return this.video.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA;
  }

  bufferedAheadMs(positionMs: number): number {
    const at = positionMs / 1000;
    const ranges = this.video.buffered;
    for (let i = 0; i < ranges.length; i += 1) {
      // A small tolerance: a position a frame before a range's start is as good as in it.
      if (ranges.start(i) <= at + 0.05 && at <= ranges.end(i)) return (ranges.end(i) - at) * 1000;
    }
    return 0;
  }

  async play(): Promise<'playing' | 'blocked'> {
    try {
      await this.player.play();
      return 'playing';
    } catch (error) {
      if (!(error instanceof DOMException) || error.name !== 'NotAllowedError') {
        // Interrupted by a pause or a new source (AbortError): not an autoplay refusal.
        return 'playing';
      }
    }
    if (!this.video.muted) {
      // Browsers allow a muted start without a gesture; the viewer gets a clear "tap to unmute".
      this.video.muted = true;
      try {
        await this.player.play();
        this.autoplay.startedMuted();
        return 'playing';
      } catch {
        // fall through: even muted playback needs a gesture here
      }
    }
    this.autoplay.blocked();
    return 'blocked';
  }

  pause(): void {
    this.player.pause();
  }

  seek(positionMs: number): void {
    this.player.currentTime(Math.max(0, positionMs) / 1000);
  }

  setRate(rate: number): void {
    this.player.playbackRate(rate);
  }
}
