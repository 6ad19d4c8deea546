package dev.r3.sweep;

import dev.r3.model.RolloutPrecision;
import java.util.EnumMap;
import java.util.Map;

/** One point of the sweep grid: a value for every {@link Axis}. */
record Point(
    int layers,
    int experts,
    int topK,
    RolloutPrecision precision,
    int maxNewTokens,
    int warmupSteps,
    Init init) {

  /** The value of one axis. */
  public Object get(Axis a) {
    return switch (a) {
      case LAYERS -> layers;
      case EXPERTS -> experts;
      case TOP_K -> topK;
      case PRECISION -> precision;
      case MAX_NEW_TOKENS -> maxNewTokens;
      case WARMUP_STEPS -> warmupSteps;
      case INIT -> init;
    };
  }

  /** This point with one axis changed. */
  public Point with(Axis a, Object v) {
    return switch (a) {
      case LAYERS ->
          new Point((Integer) v, experts, topK, precision, maxNewTokens, warmupSteps, init);
      case EXPERTS ->
          new Point(layers, (Integer) v, topK, precision, maxNewTokens, warmupSteps, init);
      case TOP_K ->
          new Point(layers, experts, (Integer) v, precision, maxNewTokens, warmupSteps, init);
      case PRECISION ->
          new Point(layers, experts, topK, (RolloutPrecision) v, maxNewTokens, warmupSteps, init);
      case MAX_NEW_TOKENS ->
          new Point(layers, experts, topK, precision, (Integer) v, warmupSteps, init);
      case WARMUP_STEPS ->
          new Point(layers, experts, topK, precision, maxNewTokens, (Integer) v, init);
      case INIT -> new Point(layers, experts, topK, precision, maxNewTokens, warmupSteps, (Init) v);
    };
  }

  /** A point from a full axis map. */
  public static Point of(Map<Axis, Object> m) {
    return new Point(
        (Integer) m.get(Axis.LAYERS),
        (Integer) m.get(Axis.EXPERTS),
        (Integer) m.get(Axis.TOP_K),
        (RolloutPrecision) m.get(Axis.PRECISION),
        (Integer) m.get(Axis.MAX_NEW_TOKENS),
        (Integer) m.get(Axis.WARMUP_STEPS),
        (Init) m.get(Axis.INIT));
  }

  public Map<Axis, Object> asMap() {
    Map<Axis, Object> m = new EnumMap<>(Axis.class);
    for (Axis a : Axis.values()) {
      m.put(a, get(a));
    }
    return m;
  }

  /** The cell's identity in sweep.json: {@code layers=4,experts=16,...}; resume matches on it. */
  public String key() {
    StringBuilder b = new StringBuilder();
    for (Axis a : Axis.values()) {
      b.append(b.length() == 0 ? "" : ",").append(a.key()).append('=').append(a.format(get(a)));
    }
    return b.toString();
  }

  /** What shapes the warmed-up weights (not precision, not response length). */
  String modelKey() {
    return "layers="
        + layers
        + ",experts="
        + experts
        + ",top_k="
        + topK
        + ",init="
        + init.label()
        + ",warmup_steps="
        + warmupSteps;
  }

  @Override
  public String toString() {
    return key();
  }
}
