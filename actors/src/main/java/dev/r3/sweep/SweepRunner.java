package dev.r3.sweep;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.management.OperatingSystemMXBean;
import dev.r3.actors.djl.WarmStart;
import dev.r3.env.CharTokenizer;
import dev.r3.env.Environment;
import dev.r3.env.Environments;
import dev.r3.env.Seeds;
import dev.r3.env.Split;
import dev.r3.model.MismatchProbe;
import dev.r3.model.ModelConfig;
import dev.r3.model.SamplingParams;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a {@link SweepSpec}: for every cell, builds the model, draws random weights from the seed,
 * warms it up on the environment's SFT corpus (the loop of {@code ./r3 pretrain}, {@link
 * WarmStart#train}), measures the MoE model (recompute and R3) and its dense twin (warmed up the
 * same way) with {@link MismatchProbe}, and writes {@code sweep.json} after every cell (so that a
 * rerun resumes: cells already there are skipped), then {@code sweep.md} and the heatmaps ({@link
 * SweepReport}).
 *
 * <p>Warmed-up weights come from {@link WarmedModels} (cached in memory and on disk). Dense-twin
 * measurements are cached too: cells that differ only in the expert count share one dense twin.
 */
final class SweepRunner {
  public static final String JSON = "sweep.json";
  private static final Gson GSON =
      new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

  private final SweepSpec spec;
  private final Path out;
  private final PrintStream log;
  private final String reproduce;
  private final CharTokenizer tok = CharTokenizer.standard();
  private final Environment env;
  private final List<int[]> prompts;
  private final WarmedModels warmed;
  private final Map<String, MismatchProbe.Result> denseResults = new LinkedHashMap<>();

  /** What a run did. */
  public record Summary(
      int cells, int measured, int resumed, List<CellResult> results, double seconds) {}

  public SweepRunner(SweepSpec spec, Path out, PrintStream log) {
    this(spec, out, log, null);
  }

  /**
   * @param reproduce the command line quoted in sweep.md (nullable)
   */
  public SweepRunner(SweepSpec spec, Path out, PrintStream log, String reproduce) {
    this.spec = spec;
    this.reproduce = reproduce;
    this.out = out;
    this.log = log;
    try {
      this.env = Environments.create(spec.env(), spec.envParams());
    } catch (RuntimeException e) {
      throw new SweepConfigException("sweep.env", e.getMessage());
    }
    this.warmed = new WarmedModels(spec, env, tok, log);
    this.prompts = new ArrayList<>(spec.responses());
    int longest = 0;
    for (int i = 0; i < spec.responses(); i++) {
      int[] p =
          tok.encodePrompt(env.task(Seeds.heldOutPrompt(spec.seed(), i), Split.EVAL).prompt());
      prompts.add(p);
      longest = Math.max(longest, p.length);
    }
    for (SweepSpec.Cell c : spec.cells()) {
      if (longest + c.point().maxNewTokens() > spec.model().maxPositions()) {
        throw new SweepConfigException(
            "sweep.model.max-positions",
            "a prompt of "
                + longest
                + " tokens plus "
                + c.point().maxNewTokens()
                + " response tokens exceeds "
                + spec.model().maxPositions());
      }
    }
  }

  /** Runs every cell not yet in {@code out/sweep.json}, then writes the report. */
  public Summary run() throws IOException {
    long t0 = System.nanoTime();
    double cpu0 = cpuSeconds();
    Files.createDirectories(out);
    Map<String, CellResult> done = readDone();
    List<SweepSpec.Cell> cells = spec.cells();
    List<SweepSpec.Cell> todo = new ArrayList<>();
    for (SweepSpec.Cell c : cells) {
      if (!done.containsKey(c.point().key())) {
        todo.add(c);
      }
    }
    // Cells sharing warmed-up weights run back to back (the cache is bounded).
    Map<String, List<SweepSpec.Cell>> byModel = new LinkedHashMap<>();
    for (SweepSpec.Cell c : todo) {
      byModel.computeIfAbsent(c.point().modelKey(), k -> new ArrayList<>()).add(c);
    }
    int resumed = cells.size() - todo.size();
    log.printf(
        Locale.ROOT,
        "sweep %s: %d cells (%d already in %s), %d responses each, env '%s', out %s%n",
        spec.name(),
        cells.size(),
        resumed,
        out.resolve(JSON),
        spec.responses(),
        spec.env(),
        out);
    int i = 0;
    for (List<SweepSpec.Cell> group : byModel.values()) {
      for (SweepSpec.Cell c : group) {
        i++;
        long c0 = System.nanoTime();
        log.printf(
            Locale.ROOT,
            "sweep: [%d/%d] %s  (%s)%n",
            i,
            todo.size(),
            c.point().key(),
            String.join(", ", c.slices()));
        CellResult r = measure(c, c0);
        done.put(c.point().key(), r);
        writeJson(done);
        log.printf(
            Locale.ROOT,
            "sweep: [%d/%d] router %.4f any-layer %.4f | KL moe %.3e r3 %.3e dense %.3e |"
                + " R3/recompute %.3f | F(2) %.4f/%.4f/%.4f | %.0f s (process CPU so far %.0f s)%n",
            i,
            todo.size(),
            r.moe().routerDisagreement(),
            r.moe().tokenAnyLayer(),
            r.moe().kl(),
            r.r3().kl(),
            r.dense().kl(),
            r.ratioR3(),
            r.moe().f2(),
            r.r3().f2(),
            r.dense().f2(),
            (System.nanoTime() - c0) / 1e9,
            cpuSeconds() - cpu0);
      }
    }
    List<CellResult> results = new ArrayList<>();
    for (SweepSpec.Cell c : cells) {
      results.add(done.get(c.point().key()).withSlices(c.slices()));
    }
    writeJson(done);
    SweepReport.write(spec, results, out, reproduce);
    double sec = (System.nanoTime() - t0) / 1e9;
    log.printf(
        Locale.ROOT,
        "sweep %s: done, %d measured, %d resumed, %.0f s wall, %.0f s CPU; wrote %s, %s and %d"
            + " heatmaps%n",
        spec.name(),
        todo.size(),
        resumed,
        sec,
        cpuSeconds() - cpu0,
        out.resolve(JSON),
        out.resolve(SweepReport.MARKDOWN),
        SweepReport.heatmaps(spec).size());
    return new Summary(cells.size(), todo.size(), resumed, results, sec);
  }

  // ---------------------------------------------------------------- one cell

  private CellResult measure(SweepSpec.Cell c, long c0) throws IOException {
    Point p = c.point();
    ModelConfig moeCfg = spec.model().config(tok.vocabSize(), p);
    ModelConfig denseCfg = moeCfg.denseTwin();
    WarmedModels.Warm moe = warmed.get(moeCfg, p);
    WarmedModels.Warm dense = warmed.get(denseCfg, p);
    SamplingParams sp =
        new SamplingParams(spec.temperature(), 1f, p.maxNewTokens(), tok.eos(), spec.seed());
    MismatchProbe.Options opts =
        new MismatchProbe.Options(p.precision(), sp, spec.batchSize(), spec.positions());
    MismatchProbe.Result m = MismatchProbe.measure(moe.weights(), prompts, opts);
    String dk =
        denseCfg.toJson()
            + "|"
            + p.init().label()
            + "|"
            + p.warmupSteps()
            + "|"
            + p.precision()
            + "|"
            + p.maxNewTokens();
    MismatchProbe.Result d = denseResults.get(dk);
    if (d == null) {
      d = MismatchProbe.measure(dense.weights(), prompts, opts);
      denseResults.put(dk, d);
    }
    return new CellResult(
        p,
        c.slices(),
        CellResult.Figures.of(m.recompute(), true),
        CellResult.Figures.of(m.replay(), true),
        CellResult.Figures.of(d.recompute(), false),
        moe.nll(),
        dense.nll(),
        (System.nanoTime() - c0) / 1e9);
  }

  // ---------------------------------------------------------------- sweep.json

  private Map<String, CellResult> readDone() throws IOException {
    Map<String, CellResult> done = new LinkedHashMap<>();
    Path f = out.resolve(JSON);
    if (!Files.exists(f)) {
      return done;
    }
    JsonObject root;
    try {
      root = JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          f + " is not a sweep result (" + e.getMessage() + "); move it away to start over");
    }
    JsonElement fixed = root.has("sweep") ? root.getAsJsonObject("sweep").get("fixed") : null;
    JsonObject now = spec.fixedSettings();
    if (fixed == null || !fixed.equals(now)) {
      throw new IllegalStateException(
          f
              + " was measured with other fixed settings ("
              + fixed
              + " vs "
              + now
              + "); use another --out or move it away");
    }
    for (JsonElement e : root.getAsJsonArray("cells")) {
      CellResult r = CellResult.fromJson(e.getAsJsonObject());
      done.put(r.point().key(), r);
    }
    return done;
  }

  private void writeJson(Map<String, CellResult> done) throws IOException {
    JsonObject root = new JsonObject();
    JsonObject s = new JsonObject();
    s.addProperty("name", spec.name());
    s.addProperty("description", spec.description());
    s.addProperty("grid", spec.grid().name().toLowerCase(Locale.ROOT));
    s.add("fixed", spec.fixedSettings());
    root.add("sweep", s);
    JsonArray cells = new JsonArray();
    // Current grid order first, then cells of earlier grids kept from the file.
    Map<String, CellResult> ordered = new LinkedHashMap<>();
    for (SweepSpec.Cell c : spec.cells()) {
      CellResult r = done.get(c.point().key());
      if (r != null) {
        ordered.put(c.point().key(), r.withSlices(c.slices()));
      }
    }
    done.forEach(ordered::putIfAbsent);
    ordered.values().forEach(r -> cells.add(r.toJson()));
    root.add("cells", cells);
    Path f = out.resolve(JSON);
    Path tmp = out.resolve(JSON + ".tmp");
    Files.writeString(tmp, GSON.toJson(root) + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * CPU time of this process (all threads, libtorch's included), or NaN where the JVM cannot say.
   */
  static double cpuSeconds() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof OperatingSystemMXBean sun) {
      long ns = sun.getProcessCpuTime();
      return ns < 0 ? Double.NaN : ns / 1e9;
    }
    return Double.NaN;
  }
}
