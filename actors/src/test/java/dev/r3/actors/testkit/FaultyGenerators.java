package dev.r3.actors.testkit;

import dev.r3.actors.ports.Generator;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.SamplingParams;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a generator factory so that chosen generate calls (counted over the whole run, from 1)
 * throw (a worker killed mid-batch) or block until released (a stuck worker the watchdog must
 * notice). Only group generations count (batches of {@code groupSize} prompts), not evaluations.
 */
public final class FaultyGenerators implements Generator.Factory {
  private final Generator.Factory delegate;
  private final Set<Integer> failOn;
  private final Set<Integer> stallOn;
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger stalls = new AtomicInteger();
  private final CountDownLatch release = new CountDownLatch(1);

  private final int groupSize;

  public FaultyGenerators(
      Generator.Factory delegate, int groupSize, Set<Integer> failOn, Set<Integer> stallOn) {
    this.delegate = delegate;
    this.groupSize = groupSize;
    this.failOn = failOn;
    this.stallOn = stallOn;
  }

  public int failures() {
    return failures.get();
  }

  public int stalls() {
    return stalls.get();
  }

  public void releaseStalled() {
    release.countDown();
  }

  @Override
  public Generator open(ModelWeights weights) {
    Generator g = delegate.open(weights);
    return new Generator() {
      @Override
      public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
        return faulty(g, prompts, params);
      }

      @Override
      public void close() {
        g.close();
      }
    };
  }

  private List<Generation> faulty(Generator g, List<int[]> prompts, SamplingParams params) {
    if (prompts.size() != groupSize) {
      return g.generate(prompts, params);
    }
    int n = calls.incrementAndGet();
    if (failOn.contains(n)) {
      failures.incrementAndGet();
      throw new IllegalStateException("injected failure on generate call " + n);
    }
    if (stallOn.contains(n)) {
      stalls.incrementAndGet();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("stalled call " + n + " released");
    }
    return g.generate(prompts, params);
  }
}
