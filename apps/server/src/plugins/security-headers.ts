import helmet from '@fastify/helmet';
import fp from 'fastify-plugin';

/** Who may frame the activity: Discord's clients (web, desktop, and the activity proxy's hosts). */
export const DISCORD_FRAME_ANCESTORS = ['https://discord.com', 'https://*.discord.com', 'https://*.discordsays.com'];

/**
 * Security headers on every response, from one place (helmet): a Content-Security-Policy that lets
 * the activity load only its own scripts and media and be framed only by Discord (and PUBLIC_URL
 * itself), `nosniff`, no referrer, and HSTS when PUBLIC_URL is https. X-Frame-Options is off: it
 * cannot name Discord, and `frame-ancestors` supersedes it in every browser that frames activities.
 */
export default fp(
  async (app) => {
    const publicUrl = new URL(app.config.publicUrl);
    const https = publicUrl.protocol === 'https:';
    await app.register(helmet, {
      global: true,
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          // video.js and React set inline styles (video.js adds a <style> element for its sizes).
          styleSrc: ["'self'", "'unsafe-inline'"],
          // data: for the favicon and video.js's icon font; Discord avatars come from its CDN.
          imgSrc: ["'self'", 'data:', 'blob:', 'https://cdn.discordapp.com'],
          fontSrc: ["'self'", 'data:'],
          // Media Source Extensions play from blob: URLs, and the HLS transmuxer runs in a blob: worker.
          mediaSrc: ["'self'", 'blob:'],
          workerSrc: ["'self'", 'blob:'],
          // 'self' covers the room socket (ws/wss to the same host) in CSP Level 3.
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: [...DISCORD_FRAME_ANCESTORS, publicUrl.origin],
          ...(https ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      frameguard: false,
      referrerPolicy: { policy: 'no-referrer' },
      hsts: https ? { maxAge: 180 * 24 * 60 * 60, includeSubDomains: false } : false,
      // The activity is framed cross-origin by Discord; its own resources are same-origin to it.
      crossOriginResourcePolicy: { policy: 'same-origin' },
      crossOriginEmbedderPolicy: false,
    });
  },
  { name: 'security-headers', dependencies: ['config'] },
);
