import { SourceUnauthorizedError } from '../media/errors.ts';
import type {
  ArtRef,
  ArtSize,
  MediaSource,
  Quality,
  ResolveStreamOptions,
  StreamDescriptor,
  TimelineReport,
} from '../media/media-source.ts';

/**
 * A linked server whose token can be asked for again: when the server refuses it (a shared
 * server's token rotated by plex.tv, an expired Plex JWT answered with 498), `renew` gets the
 * current one from plex.tv and the call is made once more with a source built on it. A second
 * refusal is the server's answer (the link must be made again).
 */
export class RenewingSource implements MediaSource {
  readonly kind = 'plex' as const;
  private current: Promise<MediaSource>;
  private renewing: Promise<MediaSource> | undefined;

  constructor(
    first: MediaSource,
    /** Gets a fresh token from plex.tv and builds the source on it. */
    private readonly renew: () => Promise<MediaSource>,
  ) {
    this.current = Promise.resolve(first);
    this.key = first.key;
    this.name = first.name;
  }

  readonly key: string;
  readonly name: string;

  private async call<T>(use: (source: MediaSource) => Promise<T>): Promise<T> {
    const source = await this.current;
    try {
      return await use(source);
    } catch (error) {
      if (!(error instanceof SourceUnauthorizedError)) throw error;
      // Concurrent refusals share one renewal.
      if (!this.renewing) {
        const renewing = this.renew();
        this.renewing = renewing;
        this.current = renewing.catch(() => source);
        void renewing.then(
          () => (this.renewing = undefined),
          () => (this.renewing = undefined),
        );
      }
      const renewed = await this.renewing.catch(() => {
        throw error;
      });
      return use(renewed);
    }
  }

  sections() {
    return this.call((s) => s.sections());
  }
  items(sectionId: string, cursor: string | undefined, limit: number) {
    return this.call((s) => s.items(sectionId, cursor, limit));
  }
  search(query: string, limit: number) {
    return this.call((s) => s.search(query, limit));
  }
  item(id: string) {
    return this.call((s) => s.item(id));
  }
  children(id: string) {
    return this.call((s) => s.children(id));
  }
  art(ref: ArtRef, size: ArtSize) {
    return this.call((s) => s.art(ref, size));
  }
  resolveStream(itemId: string, quality: Quality, options?: ResolveStreamOptions) {
    return this.call((s) => s.resolveStream(itemId, quality, options));
  }
  stopStream(descriptor: StreamDescriptor) {
    return this.call((s) => s.stopStream(descriptor));
  }
  reportTimeline(itemId: string, sessionKey: string, report: TimelineReport) {
    return this.call(async (s) => s.reportTimeline?.(itemId, sessionKey, report));
  }
}
