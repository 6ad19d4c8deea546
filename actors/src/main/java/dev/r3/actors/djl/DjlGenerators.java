package dev.r3.actors.djl;

import dev.r3.actors.ports.Generator;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutEngine;
import dev.r3.model.RolloutOptions;
import dev.r3.model.RolloutPrecision;
import dev.r3.model.SamplingParams;
import java.util.List;

/**
 * Rollout engines of the model module as the pipeline's generators: each version of the weights is
 * rounded to the rollout precision (bf16, fp8: a real mismatch source) and loaded into its own
 * engine.
 */
public final class DjlGenerators implements Generator.Factory {
  private final RolloutPrecision precision;

  public DjlGenerators(RolloutPrecision precision) {
    this.precision = precision;
  }

  @Override
  public Generator open(ModelWeights weights) {
    RolloutOptions opts =
        RolloutOptions.defaults()
            .withBf16Activations(precision.roundsActivations())
            .withPrefixCacheEntries(0);
    RolloutEngine engine = new RolloutEngine(precision.prepare(weights), opts);
    return new Generator() {
      @Override
      public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
        return engine.generate(prompts, params);
      }

      @Override
      public void close() {
        engine.close();
      }
    };
  }
}
