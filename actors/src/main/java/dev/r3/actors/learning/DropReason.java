package dev.r3.actors.learning;

/** Why a produced trajectory was not trained on. */
public enum DropReason {
  /** Older than eta versions when the learner reached it. */
  STALE,
  /** Its group's rewards were all equal: zero advantage, no signal (dynamic sampling). */
  ALL_EQUAL,
  /** The environment failed while scoring it. */
  FAILED_EPISODE,
  /** Its generation was abandoned after the worker failed max-retries times. */
  WORKER_FAILED,
  /**
   * Delivered by a worker after its attempt had timed out and been re-issued (the result raced the
   * cancel).
   */
  TIMED_OUT,
  /** Its routing record did not fit its tokens (an engine bug; logged). */
  ROUTING_MISALIGNED,
  /**
   * The rollout engine returned what the learner cannot use: a non-finite log-probability, a token
   * outside the vocabulary, log-probabilities that do not cover the response.
   */
  INVALID_SAMPLE,
  /** Its group was in flight on a rollout node that was lost, more often than max-retries. */
  NODE_LOST,
  /** Still in the buffer or in flight when the run reached its last step. */
  RUN_ENDED,
  /**
   * Buffered or in flight after the checkpoint a resumed run continues from: the process died (or
   * the learner was restarted) before it was trained, and no checkpoint holds it.
   */
  LOST_IN_CRASH
}
