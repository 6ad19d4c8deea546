package dev.r3.actors.djl;

import dev.r3.actors.ports.Generator;
import dev.r3.model.ContinuousBatch;
import dev.r3.model.CoreShare;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.PrefixCache;
import dev.r3.model.RolloutEngine;
import dev.r3.model.RolloutOptions;
import dev.r3.model.RolloutPrecision;
import dev.r3.model.SamplingParams;
import dev.r3.model.TurnOptions;
import java.util.List;

/**
 * Rollout engines of the model module as the pipeline's generators: each version of the weights is
 * rounded to the rollout precision (bf16, fp8: a real mismatch source) and loaded into its own
 * engine, with its own prefix cache (KV entries and routing ids of earlier turns), so a cached
 * entry never outlives the weights that computed it.
 */
public final class DjlGenerators implements Generator.Factory {
  private final RolloutPrecision precision;
  private final long prefixCacheBytes;
  private final CoreShare cores;

  /** Without a cross-call prefix cache; every thread keeps the process's intra-op setting. */
  public DjlGenerators(RolloutPrecision precision) {
    this(precision, 0);
  }

  public DjlGenerators(RolloutPrecision precision, long prefixCacheBytes) {
    this(precision, prefixCacheBytes, CoreShare.FIXED);
  }

  /** Each rollout worker's engine call computes in a {@link CoreShare.Role#ROLLOUT} section. */
  public DjlGenerators(RolloutPrecision precision, long prefixCacheBytes, CoreShare cores) {
    this.precision = precision;
    this.prefixCacheBytes = prefixCacheBytes;
    this.cores = cores;
  }

  @Override
  public CoreShare cores() {
    return cores;
  }

  @Override
  public Generator open(ModelWeights weights) {
    RolloutOptions opts =
        RolloutOptions.defaults()
            .withBf16Activations(precision.roundsActivations())
            .withPrefixCacheBytes(prefixCacheBytes);
    return new Engine(new RolloutEngine(precision.prepare(weights), opts));
  }

  /** One engine as a generator. */
  public static final class Engine implements Generator {
    private final RolloutEngine engine;

    Engine(RolloutEngine engine) {
      this.engine = engine;
    }

    @Override
    public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
      return engine.generate(prompts, params);
    }

    @Override
    public List<Generation> generateTurn(
        List<int[]> prompts, SamplingParams params, TurnOptions turn) {
      return engine.generate(prompts, params, turn);
    }

    @Override
    public ContinuousBatch openBatch() {
      return engine.openBatch();
    }

    @Override
    public int maxContext() {
      return engine.config().maxPositions() + 1; // T - 1 fed positions at most
    }

    @Override
    public PrefixCache.Stats prefixCacheStats() {
      return engine.prefixCacheStats();
    }

    @Override
    public void close() {
      engine.close();
    }
  }
}
