package dev.r3.sweep;

import com.google.gson.JsonObject;
import dev.r3.model.MismatchMeasures;
import dev.r3.model.ModelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A mismatch sweep: fixed settings, a default point, axis value lists and the slices that vary them
 * (read by {@link SweepFile}; every key and its default: the {@code sweep} block of reference.conf;
 * a commented example: {@code config/sweeps/quick.conf}).
 *
 * <pre>
 * sweep {
 *   name = quick
 *   responses = 1024
 *   defaults { warmup-steps = 300 }
 *   axes { layers = [2, 4, 8], top-k = [2, 4] }
 *   slices = [ { name = depth, vary = [layers] }, { name = k, vary = [top-k], set { layers = 2 } } ]
 * }
 * </pre>
 *
 * <p>A slice varies the axes it names over their {@code axes} lists (or its own {@code values}),
 * every other axis at {@code defaults} (or the slice's {@code set}). Cells shared by several slices
 * are measured once.
 */
record SweepSpec(
    String name,
    String description,
    String env,
    Map<String, String> envParams,
    long seed,
    float temperature,
    int responses,
    int batchSize,
    MismatchMeasures.RoutingPositions positions,
    ModelShape model,
    WarmUp warmUp,
    Point defaults,
    Map<Axis, List<Object>> axes,
    Grid grid,
    List<Slice> slices) {

  /** Product: every combination of the axis lists. Slices: the named slices only. */
  public enum Grid {
    PRODUCT,
    SLICES
  }

  /** The model dimensions no axis varies. */
  public record ModelShape(
      int hiddenSize, int heads, int kvHeads, int headDim, int expertSize, int maxPositions) {
    /** The MoE config of one cell. */
    public ModelConfig config(int vocab, Point p) {
      ModelConfig base =
          ModelConfig.builder(vocab)
              .hidden(hiddenSize)
              .layers(p.layers())
              .heads(heads)
              .kvHeads(kvHeads)
              .headDim(headDim)
              .experts(p.experts(), p.topK(), expertSize)
              .maxPositions(maxPositions)
              .build();
      return p.init().apply(base);
    }
  }

  /**
   * Supervised warm-up settings (the steps are an axis); the training loop is the one of {@code
   * ./r3 pretrain}.
   */
  public record WarmUp(int batchSize, int corpusSize, double lr, String cacheDir) {}

  /** A named slice: the axes it varies and their values, the rest at {@code base}. */
  public record Slice(String name, List<Axis> vary, Map<Axis, List<Object>> values, Point base) {
    /** The slice's points, in product order of {@link #vary}. */
    public List<Point> points() {
      List<Point> out = new ArrayList<>();
      out.add(base);
      for (Axis a : vary) {
        List<Point> next = new ArrayList<>();
        for (Point p : out) {
          for (Object v : values.get(a)) {
            next.add(p.with(a, v));
          }
        }
        out = next;
      }
      return out;
    }
  }

  /** One cell to measure and the slices it belongs to. */
  public record Cell(Point point, List<String> slices) {}

  // ---------------------------------------------------------------- cells

  /** Every cell of the grid, each once, in slice order. */
  public List<Cell> cells() {
    Map<String, Point> points = new LinkedHashMap<>();
    Map<String, List<String>> member = new LinkedHashMap<>();
    for (Slice s : slices) {
      for (Point p : s.points()) {
        points.putIfAbsent(p.key(), p);
        List<String> names = member.computeIfAbsent(p.key(), k -> new ArrayList<>());
        if (!names.contains(s.name())) {
          names.add(s.name());
        }
      }
    }
    List<Cell> out = new ArrayList<>();
    for (var e : points.entrySet()) {
      out.add(new Cell(e.getValue(), List.copyOf(member.get(e.getKey()))));
    }
    return out;
  }

  /**
   * The fixed settings (everything but the grid) as JSON; resume refuses a sweep.json whose
   * settings differ.
   */
  public JsonObject fixedSettings() {
    JsonObject o = new JsonObject();
    o.addProperty("env", env);
    JsonObject ep = new JsonObject();
    new TreeMap<>(envParams).forEach(ep::addProperty);
    o.add("env_params", ep);
    o.addProperty("seed", seed);
    o.addProperty("temperature", temperature);
    o.addProperty("responses", responses);
    o.addProperty("batch_size", batchSize);
    o.addProperty("routing_positions", positions.name().toLowerCase(Locale.ROOT));
    JsonObject m = new JsonObject();
    m.addProperty("hidden_size", model.hiddenSize());
    m.addProperty("heads", model.heads());
    m.addProperty("kv_heads", model.kvHeads());
    m.addProperty("head_dim", model.headDim());
    m.addProperty("expert_size", model.expertSize());
    m.addProperty("max_positions", model.maxPositions());
    o.add("model", m);
    JsonObject w = new JsonObject();
    w.addProperty("batch_size", warmUp.batchSize());
    w.addProperty("corpus_size", warmUp.corpusSize());
    w.addProperty("lr", warmUp.lr());
    o.add("warm_up", w);
    return o;
  }

  // ---------------------------------------------------------------- reading

  /** Reads and validates a sweep file (see {@link SweepFile}). */
  public static SweepSpec load(Path file) {
    return SweepFile.load(file);
  }

  /** Parses HOCON text (tests). */
  public static SweepSpec parse(String hocon) {
    return SweepFile.parse(hocon);
  }

  /** Every cell must make a valid model: top-k <= experts, response fits the positions. */
  void checkCells() {
    for (Slice s : slices) {
      for (Point p : s.points()) {
        String where = grid == Grid.PRODUCT ? "sweep.axes" : "sweep.slices (" + s.name() + ")";
        if (p.topK() > p.experts()) {
          throw new SweepConfigException(
              where,
              "top-k=" + p.topK() + " exceeds experts=" + p.experts() + " in cell " + p.key());
        }
        if (p.maxNewTokens() >= model.maxPositions()) {
          throw new SweepConfigException(
              where,
              "max-new-tokens="
                  + p.maxNewTokens()
                  + " does not fit max-positions="
                  + model.maxPositions()
                  + " in cell "
                  + p.key());
        }
        try {
          model.config(32, p);
        } catch (IllegalArgumentException e) {
          throw new SweepConfigException(where, "cell " + p.key() + ": " + e.getMessage());
        }
      }
    }
  }
}
