import { type OutgoingReport, type Playback, SYNC, SyncController } from '@dpp/shared';
import { describe, expect, it } from 'vitest';
import { FakeMedia, FixedClock, flush, VirtualTimers } from './support/virtual-time.ts';

const OFFSET = 50_000; // the server clock runs 50 s ahead of the page's
const ITEM = 'demo-1';

function world(options: { canNudgeRate?: boolean } = {}) {
  const timers = new VirtualTimers();
  const clock = new FixedClock(timers, OFFSET);
  const media = new FakeMedia(timers);
  const reports: OutgoingReport[] = [];
  const controller = new SyncController({
    media,
    serverClock: clock,
    clock: timers,
    report: (r) => reports.push(r),
    canNudgeRate: options.canNudgeRate,
    stallGraceMs: 600,
    reportRetryMs: 2000,
  });
  media.onSeeked = () => controller.onSeeked();
  const serverNow = () => timers.now() + OFFSET;
  const playing = (positionMs: number, atServerMs = serverNow(), rev = 1): Playback => ({
    rev,
    itemId: ITEM,
    status: 'playing',
    positionMs,
    atServerMs,
    rate: 1,
    waitUntil: null,
  });
  const paused = (positionMs: number, rev = 1): Playback => ({
    ...playing(positionMs, serverNow(), rev),
    status: 'paused',
  });
  const run = async (ms: number) => {
    for (let left = ms; left > 0; left -= 10) {
      timers.advance(Math.min(10, left));
      await flush();
    }
  };
  return { timers, clock, media, reports, controller, serverNow, playing, paused, run };
}

describe('SyncController', () => {
  it('starts a playing room at the expected position and reports ready', async () => {
    const w = world();
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.controller.setPlayback(w.playing(60_000, w.serverNow() - 5_000));
    await w.run(1500);

    expect(w.media.paused).toBe(false);
    // One seek to where the group is (65 s and counting), then small or no corrections.
    expect(w.media.seeks[0]).toBeGreaterThan(65_000);
    const expected = 60_000 + (w.serverNow() - (w.serverNow() - 1500 - 5_000)) - 1500;
    expect(Math.abs(w.media.positionMs - (expected + 1500))).toBeLessThan(SYNC.seekThresholdMs);
    expect(w.reports.at(-1)).toMatchObject({ state: 'ready', rev: 1 });
  });

  it('reloading the item on its own account (a quality change) buffers alone, and only until ready', async () => {
    const w = world();
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.controller.setPlayback(w.playing(60_000, w.serverNow() - 5_000));
    await w.run(1500);
    expect(w.reports.at(-1)).toMatchObject({ state: 'ready' });

    w.controller.setSource({ itemId: ITEM, phase: 'loading', local: true });
    await w.run(100);
    expect(w.reports.at(-1)).toMatchObject({ state: 'buffering', alone: true });
    w.controller.setSource({ itemId: ITEM, phase: 'loaded', local: true });
    await w.run(1500);
    expect(w.reports.at(-1)).toMatchObject({ state: 'ready' });

    // A stall after that is the room's business again.
    w.controller.setSource({ itemId: ITEM, phase: 'loading' });
    await w.run(100);
    expect(w.reports.at(-1)).toEqual(expect.objectContaining({ state: 'buffering' }));
    expect(w.reports.at(-1)?.alone).toBeUndefined();
  });

  it('nudges the rate for a small drift and returns to the room rate once in the band', async () => {
    const w = world();
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.media.positionMs = 10_000 + 200; // 200 ms ahead
    w.media.paused = false;
    w.controller.setPlayback(w.playing(10_000));
    await w.run(10);
    expect(w.media.rate).toBeLessThan(1);
    expect(w.media.rate).toBeGreaterThanOrEqual(1 - SYNC.maxRateDelta);
    expect(w.media.seeks).toEqual([]);

    await w.run(8000);
    expect(w.media.rate).toBe(1);
    const drift = w.media.positionMs - (10_000 + 8010);
    expect(Math.abs(drift)).toBeLessThanOrEqual(SYNC.enterBandMs);
  });

  it('speeds up when behind', async () => {
    const w = world();
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.media.positionMs = 10_000 - 150;
    w.media.paused = false;
    w.controller.setPlayback(w.playing(10_000));
    await w.run(10);
    expect(w.media.rate).toBeGreaterThan(1);
  });

  it('seeks past the threshold, aiming where the group will be when the seek lands, and learns the seek time', async () => {
    const w = world();
    w.media.seekMs = 400;
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.media.paused = false;
    w.media.positionMs = 0;
    w.controller.setPlayback(w.playing(30_000));
    await w.run(10);
    const first = w.media.seeks[0] ?? 0;
    // Aimed at 30 s + the assumed seek latency (300 ms before any measurement).
    expect(first).toBeGreaterThanOrEqual(30_000 + SYNC.seekLatencyInitialMs - 20);
    await w.run(3000);
    expect(w.controller.currentStatus.seekLatencyMs).toBeGreaterThanOrEqual(390);
    expect(Math.abs(w.media.positionMs - (30_000 + 3010))).toBeLessThan(SYNC.seekThresholdMs);
  });

  it('holds still before a scheduled start and plays at the instant', async () => {
    const w = world();
    w.media.startDelayMs = SYNC.startLatencyInitialMs;
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.media.positionMs = 5_000;
    const instant = w.serverNow() + 300;
    w.controller.setPlayback(w.playing(5_000, instant));
    // Started early by the start latency it assumes before measuring one, so frames move on the instant.
    await w.run(300 - SYNC.startLatencyInitialMs - 10);
    expect(w.media.paused).toBe(true);
    expect(w.media.positionMs).toBe(5_000);
    await w.run(20);
    expect(w.media.paused).toBe(false);
    expect(w.media.positionMs).toBe(5_000);
    await w.run(SYNC.startLatencyInitialMs);
    expect(Math.abs(w.media.positionMs - (5_000 + (w.serverNow() - instant)))).toBeLessThanOrEqual(2);
    expect(w.media.seeks).toEqual([]);
  });

  it('learns how long its player takes to start and starts that much early', async () => {
    const w = world();
    w.media.startDelayMs = 60;
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    // First scheduled start: the player starts on the instant and lags by its start delay.
    w.controller.setPlayback(w.playing(0, w.serverNow() + 300, 1));
    await w.run(600);
    expect(w.controller.currentStatus.startLatencyMs).toBeGreaterThan(40);
    expect(w.controller.currentStatus.startLatencyMs).toBeLessThan(80);

    // Next time (a pause, then a scheduled play) frames move on the instant.
    w.controller.setPlayback(w.paused(5_000, 2));
    await w.run(500);
    const instant = w.serverNow() + 300;
    w.controller.setPlayback(w.playing(5_000, instant, 3));
    await w.run(300 + 100);
    const drift = w.media.positionMs - (5_000 + (w.serverNow() - instant));
    expect(Math.abs(drift)).toBeLessThanOrEqual(SYNC.enterBandMs);
    expect(w.media.seeks.filter((s) => s !== 5_000)).toEqual([]);
  });

  it('holds a seek that lands early on its frame and starts as the group reaches it', async () => {
    const w = world();
    w.media.seekMs = 100;
    w.media.startDelayMs = SYNC.startLatencyInitialMs;
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.media.paused = false;
    w.controller.setPlayback(w.playing(30_000));
    await w.run(10);
    // Paused for the seek, aimed past the assumed seek and start latencies by the margin.
    const aim = 30_000 + SYNC.seekLatencyInitialMs + SYNC.startLatencyInitialMs + SYNC.holdMarginMs;
    expect(w.media.paused).toBe(true);
    expect(w.media.seeks).toHaveLength(1);
    expect(Math.abs((w.media.seeks[0] ?? 0) - aim)).toBeLessThanOrEqual(10);
    await w.run(200);
    expect(w.media.paused).toBe(true);
    expect(w.media.positionMs).toBe(w.media.seeks[0]);
    await w.run(800);
    const expected = 30_000 + 1010;
    expect(w.media.paused).toBe(false);
    expect(Math.abs(w.media.positionMs - expected)).toBeLessThanOrEqual(2);
    expect(w.media.seeks).toHaveLength(1);
    expect(w.media.rates).toEqual([]);
  });

  it('measures its start once it keeps pace, not at the first movement (currentTime jumps at play())', async () => {
    const w = world();
    w.media.startJumpMs = 15;
    w.media.startDelayMs = 60;
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.controller.setPlayback(w.playing(0, w.serverNow() + 300, 1));
    await w.run(800);
    // 15 ms at once, then still for 60: frames keep pace from 45 ms after play().
    expect(w.controller.currentStatus.startLatencyMs).toBe(45);

    w.controller.setPlayback(w.paused(5_000, 2));
    await w.run(500);
    const instant = w.serverNow() + 300;
    w.controller.setPlayback(w.playing(5_000, instant, 3));
    await w.run(600);
    expect(Math.abs(w.media.positionMs - (5_000 + (w.serverNow() - instant)))).toBeLessThanOrEqual(2);
    expect(w.media.rates).toEqual([]);
  });

  it('seeks its frame once after pausing with the room, even within the dead band', async () => {
    const w = world();
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.controller.setPlayback(w.playing(0));
    await w.run(1000);
    const position = w.media.positionMs;
    w.controller.setPlayback(w.paused(position + 5, 2));
    await w.run(1000);
    expect(w.media.paused).toBe(true);
    expect(w.media.seeks).toEqual([position + 5]);
    await w.run(2000);
    expect(w.media.seeks).toHaveLength(1);
  });

  it('fixes a start that missed by more than the settling threshold with one more seek, not a nudge', async () => {
    const w = world();
    w.media.startDelayMs = 100; // 60 ms more than it assumes before measuring
    w.media.positionMs = 5_000;
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    const instant = w.serverNow() + 300;
    w.controller.setPlayback(w.playing(5_000, instant));
    await w.run(300 + 200);
    expect(w.media.seeks).toHaveLength(1);
    await w.run(1500);
    expect(Math.abs(w.media.positionMs - (5_000 + (w.serverNow() - instant)))).toBeLessThanOrEqual(2);
    expect(w.media.seeks).toHaveLength(1);
    expect(w.media.rates).toEqual([]);
  });

  it('seeks once more, still paused, when its seek lands behind a moving group', async () => {
    const w = world();
    w.media.seekMs = 100;
    w.media.startDelayMs = SYNC.startLatencyInitialMs;
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.controller.setPlayback(w.playing(30_000, w.serverNow() - 1_000));
    await w.run(150);
    w.media.seekMs = 700; // the next seek takes far longer than the one it measured…
    const playback = w.playing(60_000, w.serverNow() + 150, 2);
    w.controller.setPlayback(playback);
    await w.run(10);
    expect(w.media.seeks).toHaveLength(2);
    w.media.seekMs = 100; // …and the one after is quick again
    await w.run(800);
    // It landed ~500 ms behind, paused: one more seek (and hold), not a nudge.
    expect(w.media.seeks).toHaveLength(3);
    await w.run(2_000);
    expect(w.media.seeks).toHaveLength(3);
    expect(w.media.rates).toEqual([]);
    expect(w.media.paused).toBe(false);
    expect(Math.abs(w.media.positionMs - (60_000 + w.serverNow() - playback.atServerMs))).toBeLessThanOrEqual(2);
  });

  it('nudges a late start instead when the media ahead is not buffered', async () => {
    const w = world();
    w.media.startDelayMs = 100;
    w.media.bufferedMs = 500;
    w.media.positionMs = 5_000;
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.controller.setPlayback(w.playing(5_000, w.serverNow() + 300));
    await w.run(300 + 200);
    expect(w.media.seeks).toEqual([]);
    expect(w.media.rates[0]).toBeGreaterThan(1);
  });

  it('learns what leaving the room rate costs and lets that cost correct a drift of its size', async () => {
    const w = world();
    w.media.rateSwitchFreezeMs = 28;
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.media.paused = false;
    w.media.positionMs = 10_000 + 100;
    const playback = w.playing(10_000);
    const expected = () => 10_000 + (w.serverNow() - playback.atServerMs);
    w.controller.setPlayback(playback);
    await w.run(8000); // one nudge from 100 ms ahead, measured, and back to the room rate
    expect(w.media.rate).toBe(1);
    const writes = w.media.rates.length;

    w.media.positionMs = expected() + 28;
    await w.run(1000);
    // The smallest rate change: its 28 ms freeze is the correction. Then back to the room rate.
    const [nudge, back, ...more] = w.media.rates.slice(writes);
    expect(Math.abs((nudge ?? 1) - 1)).toBeCloseTo(SYNC.minRateChange, 9);
    expect([back, more]).toEqual([1, []]);
    expect(Math.abs(w.media.positionMs - expected())).toBeLessThanOrEqual(2);
  });

  it('pauses with the room and lands on the exact frame', async () => {
    const w = world();
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.controller.setPlayback(w.playing(0));
    await w.run(1000);
    w.controller.setPlayback(w.paused(900, 2));
    await w.run(500);
    expect(w.media.paused).toBe(true);
    expect(w.media.positionMs).toBe(900);
    expect(w.reports.at(-1)).toMatchObject({ state: 'ready', rev: 2 });
  });

  it('reports buffering while a new item loads and ready once it can play there', async () => {
    const w = world();
    w.controller.start();
    w.controller.setServerView('buffering');
    w.controller.setPlayback({ ...w.paused(0, 3), status: 'waiting', waitUntil: w.serverNow() + 8000 });
    w.controller.setSource({ itemId: ITEM, phase: 'loading' });
    await w.run(100);
    expect(w.reports).toEqual([{ state: 'buffering', positionMs: 0, rev: 3 }]);
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    await w.run(50);
    expect(w.reports.at(-1)).toEqual({ state: 'ready', positionMs: 0, rev: 3 });
  });

  it('does not report a short stall, but does report one that lasts', async () => {
    const w = world();
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.controller.setServerView('ready');
    w.controller.setPlayback(w.playing(0));
    await w.run(1000);
    const before = w.reports.length;
    w.media.canPlay = false;
    w.controller.onWaiting();
    await w.run(300);
    w.media.canPlay = true;
    w.controller.onPlaying();
    await w.run(300);
    expect(w.reports.slice(before).filter((r) => r.state === 'buffering')).toEqual([]);

    w.media.canPlay = false;
    w.controller.onWaiting();
    await w.run(1000);
    expect(w.reports.at(-1)?.state).toBe('buffering');
    // No corrections while stalled.
    expect(w.controller.currentStatus.phase).toBe('buffering');
  });

  it('says away when the browser refuses to play, and plays after a gesture', async () => {
    const w = world();
    w.media.autoplay = 'blocked';
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.controller.setPlayback(w.playing(0));
    await w.run(500);
    expect(w.controller.currentStatus.phase).toBe('needs-gesture');
    expect(w.reports.at(-1)?.state).toBe('away');
    const plays = w.media.plays;
    await w.run(1000);
    expect(w.media.plays).toBe(plays); // no retry loop without a gesture

    w.media.autoplay = 'allowed';
    w.controller.gesture();
    await w.run(1000);
    expect(w.media.paused).toBe(false);
    expect(w.reports.at(-1)?.state).toBe('ready');
  });

  it('says away while hidden', async () => {
    const w = world();
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.controller.setPlayback(w.paused(0));
    await w.run(100);
    w.controller.setHidden(true);
    expect(w.reports.at(-1)?.state).toBe('away');
    w.controller.setHidden(false);
    await w.run(100);
    expect(w.reports.at(-1)?.state).toBe('ready');
  });

  it('repeats a report the server did not take, at the retry interval', async () => {
    const w = world();
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.controller.setPlayback(w.paused(0));
    await w.run(100);
    expect(w.reports).toHaveLength(1);
    w.controller.setServerView('lagging');
    await w.run(1000);
    expect(w.reports).toHaveLength(1);
    await w.run(1500);
    expect(w.reports).toHaveLength(2);
    expect(w.reports[1]?.state).toBe('ready');
    w.controller.setServerView('ready');
    await w.run(5000);
    expect(w.reports).toHaveLength(2);
  });

  it('corrects by seeking only when rate changes are off', async () => {
    const w = world({ canNudgeRate: false });
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.media.paused = false;
    w.media.positionMs = 10_000 + SYNC.seekThresholdNoNudgeMs / 2;
    w.controller.setPlayback(w.playing(10_000));
    await w.run(500);
    expect(w.media.rates).toEqual([]);
    expect(w.media.seeks).toEqual([]);
    w.media.positionMs += SYNC.seekThresholdNoNudgeMs * 2;
    await w.run(300);
    expect(w.media.seeks).toHaveLength(1);
    expect(w.media.rates).toEqual([]);
  });

  it('stops the player when the room has nothing loaded', async () => {
    const w = world();
    w.controller.start();
    w.controller.setSource({ itemId: ITEM, phase: 'loaded' });
    w.controller.setPlayback(w.playing(0));
    await w.run(500);
    expect(w.media.paused).toBe(false);
    w.controller.setPlayback({ ...w.paused(0, 2), itemId: null });
    w.controller.setSource(null);
    await w.run(10);
    expect(w.media.paused).toBe(true);
    expect(w.controller.currentStatus.phase).toBe('idle');
  });
});
