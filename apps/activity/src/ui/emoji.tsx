import e1f4af from '@discordapp/twemoji/dist/svg/1f4af.svg?url';
import e1f37f from '@discordapp/twemoji/dist/svg/1f37f.svg?url';
import e1f44d from '@discordapp/twemoji/dist/svg/1f44d.svg?url';
import e1f44e from '@discordapp/twemoji/dist/svg/1f44e.svg?url';
import e1f44f from '@discordapp/twemoji/dist/svg/1f44f.svg?url';
import e1f60d from '@discordapp/twemoji/dist/svg/1f60d.svg?url';
import e1f62d from '@discordapp/twemoji/dist/svg/1f62d.svg?url';
import e1f62e from '@discordapp/twemoji/dist/svg/1f62e.svg?url';
import e1f64f from '@discordapp/twemoji/dist/svg/1f64f.svg?url';
import e1f92f from '@discordapp/twemoji/dist/svg/1f92f.svg?url';
import e1f389 from '@discordapp/twemoji/dist/svg/1f389.svg?url';
import e1f440 from '@discordapp/twemoji/dist/svg/1f440.svg?url';
import e1f480 from '@discordapp/twemoji/dist/svg/1f480.svg?url';
import e1f525 from '@discordapp/twemoji/dist/svg/1f525.svg?url';
import e1f602 from '@discordapp/twemoji/dist/svg/1f602.svg?url';
import e1f621 from '@discordapp/twemoji/dist/svg/1f621.svg?url';
import e1f622 from '@discordapp/twemoji/dist/svg/1f622.svg?url';
import e1f631 from '@discordapp/twemoji/dist/svg/1f631.svg?url';
import e1f634 from '@discordapp/twemoji/dist/svg/1f634.svg?url';
import e1f914 from '@discordapp/twemoji/dist/svg/1f914.svg?url';
import e1f972 from '@discordapp/twemoji/dist/svg/1f972.svg?url';
import e2764 from '@discordapp/twemoji/dist/svg/2764.svg?url';
import type { ReactionEmoji } from '@dpp/shared';

/**
 * The reaction emoji as Discord draws them (its Twemoji set, bundled: no CDN, the same picture on every
 * system, including those without a colour emoji font). Only the reaction set is bundled.
 */
const URLS: Record<ReactionEmoji, string> = {
  '😂': e1f602,
  '😮': e1f62e,
  '😍': e1f60d,
  '👏': e1f44f,
  '🔥': e1f525,
  '😱': e1f631,
  '👍': e1f44d,
  '👎': e1f44e,
  '❤️': e2764,
  '😢': e1f622,
  '😡': e1f621,
  '🤔': e1f914,
  '🙏': e1f64f,
  '🎉': e1f389,
  '💀': e1f480,
  '👀': e1f440,
  '🍿': e1f37f,
  '😴': e1f634,
  '🤯': e1f92f,
  '🥲': e1f972,
  '😭': e1f62d,
  '💯': e1f4af,
};

export function Emoji({ emoji, size }: { emoji: ReactionEmoji; size: number }) {
  return <img className="emoji" src={URLS[emoji]} alt={emoji} width={size} height={size} draggable={false} />;
}
