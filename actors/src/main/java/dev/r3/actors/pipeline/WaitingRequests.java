package dev.r3.actors.pipeline;

import dev.r3.actors.pipeline.RolloutWorker.Cancel;
import dev.r3.actors.pipeline.RolloutWorker.Generate;
import dev.r3.actors.pipeline.RolloutWorker.GenerationFailed;
import java.util.ArrayDeque;
import java.util.List;

/**
 * A rollout worker's requests not started yet, in arrival order, and what both workers ({@link
 * RolloutWorker}, {@link ContinuousRolloutWorker}) do with them: cancel one, cap their versions at
 * a rewind, answer them all failed when the worker stops. Not thread-safe: the worker owns it.
 */
final class WaitingRequests {
  private final ArrayDeque<Generate> queue = new ArrayDeque<>();
  private final String worker;

  WaitingRequests(String worker) {
    this.worker = worker;
  }

  void add(Generate g) {
    queue.add(g);
  }

  Generate peek() {
    return queue.peek();
  }

  Generate poll() {
    return queue.poll();
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  int size() {
    return queue.size();
  }

  /** Removes the waiting attempt {@code c} names, answering it cancelled (not started). */
  void cancel(Cancel c) {
    var it = queue.iterator();
    while (it.hasNext()) {
      Generate g = it.next();
      if (g.groupId() == c.groupId() && g.attempt() == c.attempt()) {
        it.remove();
        fail(g, "cancelled");
      }
    }
  }

  /** A learner rewound to version {@code v}: no waiting request may ask for more. */
  void rewind(long v) {
    List<Generate> waiting = List.copyOf(queue);
    queue.clear();
    for (Generate g : waiting) {
      queue.add(g.withMinVersionAtMost(v));
    }
  }

  /** Answers every waiting request failed ({@code why}, not started) and forgets them. */
  void failAll(String why) {
    for (Generate g : queue) {
      fail(g, why);
    }
    queue.clear();
  }

  private void fail(Generate g, String why) {
    g.replyTo().tell(new GenerationFailed(g.groupId(), g.attempt(), worker, why, false));
  }
}
