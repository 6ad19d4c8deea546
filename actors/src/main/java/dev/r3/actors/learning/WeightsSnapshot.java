package dev.r3.actors.learning;

import dev.r3.model.ModelWeights;

/**
 * One published version of the policy. Within a JVM the weights are shared, not copied (they are
 * immutable); across nodes they travel as host float arrays.
 */
public record WeightsSnapshot(long version, ModelWeights weights) {
  @Override
  public String toString() {
    return "WeightsSnapshot(v" + version + ")";
  }
}
