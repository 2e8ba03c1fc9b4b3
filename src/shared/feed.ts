/**
 * The live feed of a run: Claude's text as it is written and every step as it happens, as one ordered list of
 * events with increasing offsets. The model activity publishes text in small batches by signal, only while a reader
 * follows (a lease asked by signal); readers poll by query; the next offset and the lease survive continue-as-new, and
 * so does a short tail while a reader follows.
 * Sandbox-safe: JSON types and Temporal message definitions only.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { FeedEvent } from './run';

export type { CarriedFeed, FeedEvent, FeedEventBody } from './run';

/** One batch of text the model activity sends while Claude writes. */
export interface FeedBatch {
  turn: number;
  attempt: number;
  /** Orders the batches of one attempt: a late or repeated one is dropped. */
  seq: number;
  text: string;
}

/** A reader asks the run to publish Claude's text while it follows, for `leaseSeconds` from now (renewed as it reads). */
export interface FeedFollow {
  /** @default FEED_LEASE_DEFAULT_SECONDS; at most FEED_LEASE_MAX_SECONDS */
  leaseSeconds?: number;
}

/** What a reader asks: the events from `from` on, at most `max` of them. */
export interface FeedPollRequest {
  from: number;
  /** @default FEED_POLL_MAX */
  max?: number;
}

/** What a reader gets back. */
export interface FeedPage {
  events: FeedEvent[];
  /** The offset to ask from next time. */
  next: number;
  /** The oldest offset still held; a reader behind it missed `first - from` events. */
  first: number;
  /** The run has ended (completed, compensated, cancelled): nothing follows `next`. */
  done: boolean;
}

/** Events a run holds in memory; older ones are dropped (readers that fall behind see a gap). */
export const FEED_BUFFER_EVENTS = 2000;
/** Bytes of event text a run holds in memory. */
export const FEED_BUFFER_BYTES = 512 * 1024;
/** Events carried over continue-as-new, while a reader follows (a run nobody follows carries none). */
export const FEED_CARRIED_EVENTS = 100;
/** Bytes of events (as JSON) carried over continue-as-new: the newest that fit, so the carried input stays small. */
export const FEED_CARRIED_BYTES = 32 * 1024;
/** Bytes of text one batch may carry; a larger one is cut (a stranger's signal is bounded before it is stored). */
export const FEED_BATCH_MAX_BYTES = 16 * 1024;
/** Events one poll answers at most. */
export const FEED_POLL_MAX = 500;

/** A follow lease when the reader names none. */
export const FEED_LEASE_DEFAULT_SECONDS = 120;
/** The longest one follow signal keeps the text coming. */
export const FEED_LEASE_MAX_SECONDS = 3600;

/** The seconds a follow signal holds, bounded: a missing or unusable lease is the default, a long one the maximum. */
export function leaseSecondsOf(follow: FeedFollow | undefined): number {
  const asked = follow?.leaseSeconds;
  if (typeof asked !== 'number' || !Number.isFinite(asked) || asked <= 0) return FEED_LEASE_DEFAULT_SECONDS;
  return Math.min(asked, FEED_LEASE_MAX_SECONDS);
}

/** A reader follows the run: until the lease ends, each model call publishes its text to the feed (none otherwise). */
export const feedFollowSignal = defineSignal<[FeedFollow]>('sagent.feed.follow');
/** The model activity's batches of Claude's text. */
export const feedPublishSignal = defineSignal<[FeedBatch]>('sagent.feed.publish');
/** The events after an offset; answered at once (a reader polls again after a short wait). */
export const feedPollQuery = defineQuery<FeedPage, [FeedPollRequest]>('sagent.feed.poll');
