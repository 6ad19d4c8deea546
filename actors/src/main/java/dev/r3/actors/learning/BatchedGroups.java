package dev.r3.actors.learning;

import dev.r3.actors.ports.Generator;
import dev.r3.model.ContinuousBatch;
import dev.r3.model.Generation;
import dev.r3.model.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The groups a continuous-batching rollout worker is generating, on one generator (so one version
 * of the weights): each group's G samples join one running {@link ContinuousBatch} (a prefill call
 * between decode steps) and leave it one by one; a group is complete when its last sample has left.
 * Sample j of a group draws from sampler stream j with the group's seed, as in {@link
 * GroupWork#generate}, so a group's trajectories do not depend on which groups shared its batch
 * beyond the engine's rounding (ContinuousBatchTest).
 *
 * <p>A generator without a running batch ({@link Generator#openBatch} null: test doubles) generates
 * each group in one call when it is admitted. Not for multi-turn episodes. Used from one thread at
 * a time (the worker's slices run one after another).
 */
public final class BatchedGroups implements AutoCloseable {

  /** A group attempt in the batch (the worker's request key). */
  public record Key(long groupId, int attempt) {}

  /** A group whose samples have all left the batch. */
  public record Completed(Key key, List<Trajectory> trajectories) {}

  private final Generator generator;
  private final long version;
  private final SamplingParams sampling;
  private final ContinuousBatch batch; // null: one call per group
  private final Map<Key, Pending> pending = new LinkedHashMap<>();
  private final List<Completed> ready = new ArrayList<>();

  private static final class Pending {
    final long episodeSeed;
    final Generation[] samples;
    int left;

    Pending(long episodeSeed, int n) {
      this.episodeSeed = episodeSeed;
      this.samples = new Generation[n];
      this.left = n;
    }
  }

  /**
   * @param sampling temperature, top-p, max tokens and eos; the seed comes with each group
   */
  public BatchedGroups(Generator generator, long version, SamplingParams sampling) {
    this.generator = generator;
    this.version = version;
    this.sampling = sampling;
    this.batch = generator.openBatch();
  }

  public Generator generator() {
    return generator;
  }

  public long version() {
    return version;
  }

  /** Sequences decoding now. */
  public int liveRows() {
    return batch == null ? 0 : batch.liveRows();
  }

  /** Groups admitted and not yet returned by {@link #takeCompleted}. */
  public int groups() {
    return pending.size() + ready.size();
  }

  /** Decode steps run so far (0 without a running batch). */
  public long steps() {
    return batch == null ? 0 : batch.steps();
  }

  /** A group to add: {@code samples} copies of {@code prompt}, sample j on sampler stream j. */
  public record Admission(
      Key key, long episodeSeed, int[] prompt, int samples, long samplingSeed) {}

  /** Adds groups' samples to the batch (one prefill call for all of them runs now). */
  public void admit(List<Admission> groups) {
    List<ContinuousBatch.Join> joins = new ArrayList<>();
    for (Admission a : groups) {
      if (pending.containsKey(a.key())) {
        throw new IllegalStateException("group " + a.key() + " is already in the batch");
      }
      pending.put(a.key(), new Pending(a.episodeSeed(), a.samples()));
      SamplingParams params = sampling.withSeed(a.samplingSeed());
      List<int[]> prompts = Collections.nCopies(a.samples(), a.prompt());
      if (batch == null) {
        List<Generation> out = generator.generate(prompts, params);
        if (out.size() != a.samples()) {
          throw new IllegalStateException(
              "generator returned " + out.size() + " completions for " + a.samples() + " prompts");
        }
        for (int j = 0; j < a.samples(); j++) {
          left(a.key(), j, out.get(j));
        }
      } else {
        joins.add(new ContinuousBatch.Join(a.key(), prompts, params, null));
      }
    }
    if (!joins.isEmpty()) {
      for (ContinuousBatch.Finished f : batch.admit(joins)) {
        left((Key) f.key(), f.index(), f.generation());
      }
    }
  }

  /** Stops a group's samples now; it is never completed. */
  public void drop(Key key) {
    if (pending.remove(key) != null && batch != null) {
      batch.drop(key);
    }
    ready.removeIf(c -> c.key().equals(key));
  }

  /**
   * Runs decode steps until a group completes, {@code maxSteps} steps have run, or (when {@code
   * untilRowsFree}) a sample has left the batch.
   */
  public void run(int maxSteps, boolean untilRowsFree) {
    for (int s = 0; s < maxSteps && ready.isEmpty() && liveRows() > 0; s++) {
      List<ContinuousBatch.Finished> out = batch.step();
      for (ContinuousBatch.Finished f : out) {
        left((Key) f.key(), f.index(), f.generation());
      }
      if (untilRowsFree && !out.isEmpty()) {
        return;
      }
    }
  }

  /** The groups completed since the last call, in the order they completed. */
  public List<Completed> takeCompleted() {
    List<Completed> out = List.copyOf(ready);
    ready.clear();
    return out;
  }

  /** Closes the running batch (not the generator, which the worker owns). */
  @Override
  public void close() {
    if (batch != null) {
      batch.close();
    }
  }

  private void left(Key key, int index, Generation g) {
    Pending p = pending.get(key);
    if (p == null) {
      return; // dropped
    }
    p.samples[index] = g;
    if (--p.left > 0) {
      return;
    }
    pending.remove(key);
    ready.add(
        new Completed(
            key,
            GroupWork.trajectories(
                key.groupId(), p.episodeSeed, version, Arrays.asList(p.samples))));
  }
}
