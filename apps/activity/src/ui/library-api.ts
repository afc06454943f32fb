import { libraryApiFor } from '../lib/library.ts';
import { currentGuildId } from '../room/store.ts';

/** The library of this room's guild (the demo or linked library in standalone mode). */
export const libraryApi = libraryApiFor(currentGuildId);
