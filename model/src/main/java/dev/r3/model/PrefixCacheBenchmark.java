package dev.r3.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What prefix reuse saves in the rollout engine, with and without it, on the two shapes it is for:
 * GRPO groups (G samples of one prompt per call) and multi-turn episodes (each turn's prompt is the
 * previous turn's sequence plus an observation). A benchmark, not a test: nothing here asserts a
 * speed.
 */
public final class PrefixCacheBenchmark {
  private PrefixCacheBenchmark() {}

  /**
   * @param promptTokens prompt tokens of every sequence of every call
   * @param computedTokens prompt tokens the engine computed
   * @param seconds wall time of all calls
   * @param hitRate cache hits per lookup (NaN without the cache)
   * @param cacheBytes bytes held by the cache at the end
   * @param budget the cache's byte budget (0: no cache)
   * @param nodes radix-tree nodes held at the end
   * @param evictions nodes evicted during the scenario
   */
  public record Result(
      String scenario,
      boolean reuse,
      long promptTokens,
      long computedTokens,
      double seconds,
      double hitRate,
      long cacheBytes,
      long budget,
      int nodes,
      long evictions) {}

  /** Prefix reuse on (prompt sharing and a cache of {@code cacheBytes}) or off (neither). */
  public static RolloutOptions options(RolloutOptions base, boolean reuse, long cacheBytes) {
    return base.withSharedPrompts(reuse).withPrefixCacheBytes(reuse ? cacheBytes : 0);
  }

  /** {@code groups} calls of {@code g} samples of one random prompt each. */
  public static Result grpo(
      ModelWeights w, RolloutOptions opts, int groups, int g, int promptLength, int newTokens) {
    SamplingParams sp = new SamplingParams(1f, 1f, newTokens, -1, 3);
    SplittableRandom rnd = new SplittableRandom(17);
    try (RolloutEngine e = new RolloutEngine(w, opts)) {
      e.generate(List.of(random(rnd, w.config(), promptLength)), sp); // warm-up, not counted
      PrefixCache.Stats before = e.prefixCacheStats();
      long t0 = System.nanoTime();
      for (int i = 0; i < groups; i++) {
        int[] prompt = random(rnd, w.config(), promptLength);
        List<int[]> prompts = new ArrayList<>();
        for (int j = 0; j < g; j++) {
          prompts.add(prompt);
        }
        e.generate(prompts, sp.withSeed(i));
      }
      return result("grpo", opts, before, e.prefixCacheStats(), t0);
    }
  }

  /**
   * {@code episodes} episodes of {@code turns} turns in one batch: each turn generates {@code
   * newTokens} tokens, then {@code observationTokens} random tokens are appended (a tool result).
   */
  public static Result episodes(
      ModelWeights w,
      RolloutOptions opts,
      int episodes,
      int turns,
      int promptLength,
      int newTokens,
      int observationTokens) {
    return episodes(w, opts, episodes, 1, turns, promptLength, newTokens, observationTokens);
  }

  /**
   * {@code problems} x {@code g} episodes of {@code turns} turns in one batch, the g episodes of a
   * problem starting from one prompt (GRPO over whole episodes, as the pipeline plays them); each
   * turn as in {@link #episodes(ModelWeights, RolloutOptions, int, int, int, int, int)}, every
   * episode getting its own observations. Turn t of every episode draws from its own sampler
   * stream, so the episodes of a problem diverge from their first turn.
   */
  public static Result episodes(
      ModelWeights w,
      RolloutOptions opts,
      int problems,
      int g,
      int turns,
      int promptLength,
      int newTokens,
      int observationTokens) {
    SamplingParams sp = new SamplingParams(1f, 1f, newTokens, -1, 4);
    SplittableRandom rnd = new SplittableRandom(19);
    try (RolloutEngine e = new RolloutEngine(w, opts)) {
      e.generate(List.of(random(rnd, w.config(), promptLength)), sp); // warm-up, not counted
      PrefixCache.Stats before = e.prefixCacheStats();
      long t0 = System.nanoTime();
      List<int[]> seqs = new ArrayList<>();
      for (int i = 0; i < problems; i++) {
        int[] prompt = random(rnd, w.config(), promptLength);
        for (int j = 0; j < g; j++) {
          seqs.add(prompt);
        }
      }
      for (int t = 0; t < turns; t++) {
        List<Generation> out = e.generate(seqs, sp.withSeed(t));
        List<int[]> next = new ArrayList<>();
        for (Generation gen : out) {
          int[] obs = random(rnd, w.config(), observationTokens);
          int[] s = Arrays.copyOf(gen.tokens(), gen.length() + obs.length);
          System.arraycopy(obs, 0, s, gen.length(), obs.length);
          next.add(s);
        }
        seqs = next;
      }
      return result("episodes", opts, before, e.prefixCacheStats(), t0);
    }
  }

  private static Result result(
      String scenario, RolloutOptions opts, PrefixCache.Stats a, PrefixCache.Stats b, long t0) {
    double seconds = (System.nanoTime() - t0) / 1e9;
    long lookups = b.lookups() - a.lookups();
    return new Result(
        scenario,
        opts.sharePrompts(),
        b.promptTokens() - a.promptTokens(),
        b.computedTokens() - a.computedTokens(),
        seconds,
        lookups == 0 ? Double.NaN : (double) (b.hits() - a.hits()) / lookups,
        b.bytes(),
        opts.prefixCacheBytes(),
        b.entries(),
        b.evictions() - a.evictions());
  }

  private static int[] random(SplittableRandom rnd, ModelConfig c, int n) {
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = 3 + rnd.nextInt(c.vocabSize() - 3);
    }
    return t;
  }
}
