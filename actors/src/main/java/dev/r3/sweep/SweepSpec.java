package dev.r3.sweep;

import com.google.gson.JsonObject;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.r3.model.MismatchMeasures;
import dev.r3.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A mismatch sweep, read from a HOCON file (see {@code config/sweeps/quick.conf} for a commented
 * example).
 *
 * <pre>
 * sweep {
 *   name = quick
 *   env = add, seed = 1, temperature = 1.0, responses = 128   # fixed settings
 *   model { hidden_size = 128, heads = 4, kv_heads = 4, head_dim = 32, expert_size = 128, max_positions = 256 }
 *   warm_up { batch_size = 32, corpus_size = 4000, lr = 3e-3, cache_dir = ".cache/sweep-warm" }
 *   defaults { layers = 4, experts = 16, top_k = 4, precision = bf16, max_new_tokens = 8, warmup_steps = 0, init = 0.02 }
 *   axes { layers = [2, 4, 8], warmup_steps = [0, 300], ... }
 *   grid = slices            # or: product (every combination of the axes lists)
 *   slices = [ { name = depth-x-warmup, vary = [layers, warmup_steps] }, ... ]
 * }
 * </pre>
 *
 * <p>A slice varies the axes it names over their {@code axes} lists (or its own {@code values}),
 * every other axis at {@code defaults} (or the slice's {@code set}). Cells shared by several slices
 * are measured once. Every error names the key it is about.
 */
public record SweepSpec(
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

  /** The model dimensions no axis varies (defaults: {@link ModelConfig#defaultMoe}). */
  public record ModelShape(
      int hiddenSize, int heads, int kvHeads, int headDim, int expertSize, int maxPositions) {
    static ModelShape defaults() {
      ModelConfig d = ModelConfig.defaultMoe(1);
      return new ModelShape(
          d.hiddenSize(),
          d.numHeads(),
          d.numKvHeads(),
          d.headDim(),
          d.moeIntermediateSize(),
          d.maxPositions());
    }

    /** The MoE config of one cell. */
    public ModelConfig config(int vocab, Point p) {
      ModelConfig base =
          new ModelConfig(
              vocab,
              hiddenSize,
              p.layers(),
              heads,
              kvHeads,
              headDim,
              p.experts(),
              p.topK(),
              expertSize,
              0,
              true,
              1e-6f,
              10000f,
              maxPositions,
              0.02f);
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

  // ---------------------------------------------------------------- parsing

  private static final Set<String> TOP_KEYS =
      Set.of(
          "name",
          "description",
          "env",
          "env_params",
          "seed",
          "temperature",
          "responses",
          "batch_size",
          "routing_positions",
          "model",
          "warm_up",
          "defaults",
          "axes",
          "grid",
          "slices");
  private static final Set<String> MODEL_KEYS =
      Set.of("hidden_size", "heads", "kv_heads", "head_dim", "expert_size", "max_positions");
  private static final Set<String> WARM_KEYS =
      Set.of("batch_size", "corpus_size", "lr", "cache_dir");
  private static final Set<String> SLICE_KEYS = Set.of("name", "vary", "values", "set");

  /** Reads and validates a sweep file. */
  public static SweepSpec load(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("sweep file " + file + " does not exist");
    }
    Config c;
    try {
      c =
          ConfigFactory.parseFile(
                  file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false))
              .resolve();
    } catch (ConfigException e) {
      throw new IllegalArgumentException("sweep file " + file + ": " + e.getMessage(), e);
    }
    return parse(c);
  }

  /** Parses HOCON text (tests). */
  public static SweepSpec parse(String hocon) {
    Config c;
    try {
      c = ConfigFactory.parseString(hocon).resolve();
    } catch (ConfigException e) {
      throw new IllegalArgumentException("sweep: " + e.getMessage(), e);
    }
    return parse(c);
  }

  /** Validates a parsed sweep file; the root must hold a {@code sweep} object. */
  public static SweepSpec parse(Config root) {
    if (!root.hasPath("sweep") || root.getValue("sweep").valueType() != ConfigValueType.OBJECT) {
      throw new SweepConfigException("sweep", "the file must hold a 'sweep { ... }' object");
    }
    Config c = root.getConfig("sweep");
    knownKeys(c, "sweep", TOP_KEYS);

    String name = str(c, "name", "sweep.name", null);
    if (name.isBlank() || !name.matches("[A-Za-z0-9_.-]+")) {
      throw new SweepConfigException(
          "sweep.name",
          "must be a non-empty word of letters, digits, '.', '_', '-', got '" + name + "'");
    }
    String description = str(c, "description", "sweep.description", "");
    String env = str(c, "env", "sweep.env", "add");
    if (env.isBlank()) {
      throw new SweepConfigException("sweep.env", "must name an environment");
    }
    Map<String, String> envParams = new TreeMap<>();
    if (c.hasPath("env_params")) {
      ConfigObject o = object(c, "env_params", "sweep.env_params");
      for (var e : o.entrySet()) {
        envParams.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
      }
    }
    long seed = c.hasPath("seed") ? longVal(c, "seed", "sweep.seed") : 1L;
    double temperature =
        c.hasPath("temperature") ? num(c, "temperature", "sweep.temperature") : 1.0;
    if (!(temperature > 0)) {
      throw new SweepConfigException("sweep.temperature", "must be > 0, got " + temperature);
    }
    int responses = c.hasPath("responses") ? intAtLeast(c, "responses", "sweep.responses", 1) : 256;
    int batch = c.hasPath("batch_size") ? intAtLeast(c, "batch_size", "sweep.batch_size", 1) : 64;
    MismatchMeasures.RoutingPositions positions = MismatchMeasures.RoutingPositions.ALL;
    if (c.hasPath("routing_positions")) {
      String s = str(c, "routing_positions", "sweep.routing_positions", "all");
      try {
        positions = MismatchMeasures.RoutingPositions.valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new SweepConfigException(
            "sweep.routing_positions", "must be all or response, got '" + s + "'");
      }
    }

    ModelShape d = ModelShape.defaults();
    ModelShape shape = d;
    if (c.hasPath("model")) {
      object(c, "model", "sweep.model");
      Config m = c.getConfig("model");
      knownKeys(m, "sweep.model", MODEL_KEYS);
      shape =
          new ModelShape(
              m.hasPath("hidden_size")
                  ? intAtLeast(m, "hidden_size", "sweep.model.hidden_size", 1)
                  : d.hiddenSize(),
              m.hasPath("heads") ? intAtLeast(m, "heads", "sweep.model.heads", 1) : d.heads(),
              m.hasPath("kv_heads")
                  ? intAtLeast(m, "kv_heads", "sweep.model.kv_heads", 1)
                  : d.kvHeads(),
              m.hasPath("head_dim")
                  ? intAtLeast(m, "head_dim", "sweep.model.head_dim", 2)
                  : d.headDim(),
              m.hasPath("expert_size")
                  ? intAtLeast(m, "expert_size", "sweep.model.expert_size", 1)
                  : d.expertSize(),
              m.hasPath("max_positions")
                  ? intAtLeast(m, "max_positions", "sweep.model.max_positions", 8)
                  : d.maxPositions());
      if (shape.heads() % shape.kvHeads() != 0) {
        throw new SweepConfigException(
            "sweep.model.kv_heads",
            "must divide heads (" + shape.heads() + "), got " + shape.kvHeads());
      }
      if (shape.headDim() % 2 != 0) {
        throw new SweepConfigException(
            "sweep.model.head_dim", "must be even (RoPE), got " + shape.headDim());
      }
    }

    WarmUp warm = new WarmUp(32, 4000, 3e-3, ".cache/sweep-warm");
    if (c.hasPath("warm_up")) {
      object(c, "warm_up", "sweep.warm_up");
      Config w = c.getConfig("warm_up");
      knownKeys(w, "sweep.warm_up", WARM_KEYS);
      double lr = w.hasPath("lr") ? num(w, "lr", "sweep.warm_up.lr") : warm.lr();
      if (!(lr > 0)) {
        throw new SweepConfigException("sweep.warm_up.lr", "must be > 0, got " + lr);
      }
      warm =
          new WarmUp(
              w.hasPath("batch_size")
                  ? intAtLeast(w, "batch_size", "sweep.warm_up.batch_size", 1)
                  : warm.batchSize(),
              w.hasPath("corpus_size")
                  ? intAtLeast(w, "corpus_size", "sweep.warm_up.corpus_size", 1)
                  : warm.corpusSize(),
              lr,
              w.hasPath("cache_dir")
                  ? str(w, "cache_dir", "sweep.warm_up.cache_dir", "")
                  : warm.cacheDir());
    }

    // defaults: a value for every axis
    if (!c.hasPath("defaults")) {
      throw new SweepConfigException(
          "sweep.defaults", "missing: give a value for every axis (" + Axis.names() + ")");
    }
    ConfigObject dobj = object(c, "defaults", "sweep.defaults");
    for (String k : dobj.keySet()) {
      Axis.of(k, "sweep.defaults." + k);
    }
    Map<Axis, Object> dmap = new EnumMap<>(Axis.class);
    for (Axis a : Axis.values()) {
      ConfigValue v = dobj.get(a.key());
      if (v == null) {
        throw new SweepConfigException(
            "sweep.defaults." + a.key(), "missing (every axis needs a default)");
      }
      dmap.put(a, a.parse(v, "sweep.defaults." + a.key()));
    }
    Point defaults = Point.of(dmap);

    // axes: value lists
    Map<Axis, List<Object>> axes = new EnumMap<>(Axis.class);
    if (c.hasPath("axes")) {
      ConfigObject aobj = object(c, "axes", "sweep.axes");
      for (var e : aobj.entrySet()) {
        Axis a = Axis.of(e.getKey(), "sweep.axes." + e.getKey());
        axes.put(a, valueList(a, e.getValue(), "sweep.axes." + a.key()));
      }
    }

    String gridName = str(c, "grid", "sweep.grid", "slices");
    Grid grid;
    try {
      grid = Grid.valueOf(gridName.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new SweepConfigException(
          "sweep.grid", "must be 'product' or 'slices', got '" + gridName + "'");
    }

    List<Slice> slices = new ArrayList<>();
    if (grid == Grid.PRODUCT) {
      if (c.hasPath("slices")) {
        throw new SweepConfigException(
            "sweep.slices", "only used with grid = slices (grid is product)");
      }
      if (axes.isEmpty()) {
        throw new SweepConfigException("sweep.axes", "grid = product needs at least one axis list");
      }
      List<Axis> vary = new ArrayList<>();
      Point base = defaults;
      for (var e : axes.entrySet()) {
        if (e.getValue().size() > 1) {
          vary.add(e.getKey());
        } else {
          base = base.with(e.getKey(), e.getValue().get(0));
        }
      }
      slices.add(new Slice("product", vary, axes, base));
    } else {
      if (!c.hasPath("slices")) {
        throw new SweepConfigException(
            "sweep.slices", "missing: grid = slices needs a list of slices");
      }
      ConfigValue sv = c.getValue("slices");
      if (sv.valueType() != ConfigValueType.LIST || ((ConfigList) sv).isEmpty()) {
        throw new SweepConfigException(
            "sweep.slices", "must be a non-empty list of { name, vary } objects");
      }
      Set<String> names = new LinkedHashSet<>();
      ConfigList list = (ConfigList) sv;
      for (int i = 0; i < list.size(); i++) {
        String where = "sweep.slices[" + i + "]";
        if (list.get(i).valueType() != ConfigValueType.OBJECT) {
          throw new SweepConfigException(where, "must be an object { name = ..., vary = [...] }");
        }
        Slice s = slice(((ConfigObject) list.get(i)).toConfig(), where, defaults, axes);
        if (!names.add(s.name())) {
          throw new SweepConfigException(
              where + ".name", "duplicate slice name '" + s.name() + "'");
        }
        slices.add(s);
      }
    }

    SweepSpec spec =
        new SweepSpec(
            name,
            description,
            env,
            envParams,
            seed,
            (float) temperature,
            responses,
            batch,
            positions,
            shape,
            warm,
            defaults,
            axes,
            grid,
            List.copyOf(slices));
    spec.checkCells();
    return spec;
  }

  private static Slice slice(Config s, String where, Point defaults, Map<Axis, List<Object>> axes) {
    knownKeys(s, where, SLICE_KEYS);
    String name = str(s, "name", where + ".name", null);
    if (name.isBlank() || !name.matches("[A-Za-z0-9_.-]+")) {
      throw new SweepConfigException(
          where + ".name",
          "must be a non-empty word of letters, digits, '.', '_', '-', got '" + name + "'");
    }
    String at = where + " (" + name + ")";
    if (!s.hasPath("vary")) {
      throw new SweepConfigException(at + ".vary", "missing: list the axes this slice varies");
    }
    List<Axis> vary = new ArrayList<>();
    ConfigValue vv = s.getValue("vary");
    if (vv.valueType() != ConfigValueType.LIST || ((ConfigList) vv).isEmpty()) {
      throw new SweepConfigException(
          at + ".vary", "must be a non-empty list of axis names (" + Axis.names() + ")");
    }
    for (ConfigValue v : (ConfigList) vv) {
      Axis a = Axis.of(String.valueOf(v.unwrapped()), at + ".vary");
      if (vary.contains(a)) {
        throw new SweepConfigException(at + ".vary", "axis '" + a.key() + "' listed twice");
      }
      vary.add(a);
    }
    Map<Axis, List<Object>> values = new EnumMap<>(Axis.class);
    Map<Axis, List<Object>> own = new EnumMap<>(Axis.class);
    if (s.hasPath("values")) {
      ConfigObject o = object(s, "values", at + ".values");
      for (var e : o.entrySet()) {
        Axis a = Axis.of(e.getKey(), at + ".values." + e.getKey());
        if (!vary.contains(a)) {
          throw new SweepConfigException(
              at + ".values." + a.key(), "axis is not in this slice's vary list");
        }
        own.put(a, valueList(a, e.getValue(), at + ".values." + a.key()));
      }
    }
    for (Axis a : vary) {
      List<Object> l = own.containsKey(a) ? own.get(a) : axes.get(a);
      if (l == null) {
        throw new SweepConfigException(
            at + ".vary",
            "axis '"
                + a.key()
                + "' has no values: add sweep.axes."
                + a.key()
                + " or "
                + where
                + ".values."
                + a.key());
      }
      values.put(a, l);
    }
    Point base = defaults;
    if (s.hasPath("set")) {
      ConfigObject o = object(s, "set", at + ".set");
      for (var e : o.entrySet()) {
        Axis a = Axis.of(e.getKey(), at + ".set." + e.getKey());
        if (vary.contains(a)) {
          throw new SweepConfigException(
              at + ".set." + a.key(), "axis is varied by this slice; it cannot also be set");
        }
        base = base.with(a, a.parse(e.getValue(), at + ".set." + a.key()));
      }
    }
    return new Slice(name, List.copyOf(vary), values, base);
  }

  /** Every cell must make a valid model: top_k <= experts, response fits the positions. */
  private void checkCells() {
    for (Slice s : slices) {
      for (Point p : s.points()) {
        String where = grid == Grid.PRODUCT ? "sweep.axes" : "sweep.slices (" + s.name() + ")";
        if (p.topK() > p.experts()) {
          throw new SweepConfigException(
              where,
              "top_k=" + p.topK() + " exceeds experts=" + p.experts() + " in cell " + p.key());
        }
        if (p.maxNewTokens() >= model.maxPositions()) {
          throw new SweepConfigException(
              where,
              "max_new_tokens="
                  + p.maxNewTokens()
                  + " does not fit max_positions="
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

  // ---------------------------------------------------------------- helpers

  private static List<Object> valueList(Axis a, ConfigValue v, String where) {
    List<Object> out = new ArrayList<>();
    if (v.valueType() != ConfigValueType.LIST) {
      out.add(a.parse(v, where));
      return out;
    }
    ConfigList l = (ConfigList) v;
    if (l.isEmpty()) {
      throw new SweepConfigException(where, "empty list");
    }
    for (int i = 0; i < l.size(); i++) {
      Object o = a.parse(l.get(i), where + "[" + i + "]");
      if (out.contains(o)) {
        throw new SweepConfigException(where + "[" + i + "]", "duplicate value " + a.format(o));
      }
      out.add(o);
    }
    return out;
  }

  private static void knownKeys(Config c, String where, Set<String> known) {
    for (String k : c.root().keySet()) {
      if (!known.contains(k)) {
        throw new SweepConfigException(
            where + "." + k, "unknown key; known: " + new java.util.TreeSet<>(known));
      }
    }
  }

  private static ConfigObject object(Config c, String key, String where) {
    ConfigValue v = c.getValue(key);
    if (v.valueType() != ConfigValueType.OBJECT) {
      throw new SweepConfigException(where, "must be an object { ... }, got " + v.render());
    }
    return (ConfigObject) v;
  }

  private static String str(Config c, String key, String where, String dflt) {
    if (!c.hasPath(key)) {
      if (dflt == null) {
        throw new SweepConfigException(where, "missing");
      }
      return dflt;
    }
    ConfigValue v = c.getValue(key);
    if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
      throw new SweepConfigException(where, "must be a string, got " + v.render());
    }
    return String.valueOf(v.unwrapped());
  }

  private static double num(Config c, String key, String where) {
    try {
      return c.getDouble(key);
    } catch (ConfigException e) {
      throw new SweepConfigException(where, "must be a number, got " + c.getValue(key).render());
    }
  }

  private static long longVal(Config c, String key, String where) {
    try {
      return c.getLong(key);
    } catch (ConfigException e) {
      throw new SweepConfigException(where, "must be an integer, got " + c.getValue(key).render());
    }
  }

  private static int intAtLeast(Config c, String key, String where, int min) {
    ConfigValue v = c.getValue(key);
    if (v.valueType() != ConfigValueType.NUMBER || !(v.unwrapped() instanceof Integer)) {
      throw new SweepConfigException(where, "must be an integer, got " + v.render());
    }
    int n = (Integer) v.unwrapped();
    if (n < min) {
      throw new SweepConfigException(where, "must be >= " + min + ", got " + n);
    }
    return n;
  }
}
