package dev.r3.actors.run;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.Evaluator;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.model.HostTensor;
import dev.r3.model.ModelWeights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a checkpoint holds besides the Hugging Face files and the optimizer state, as {@code
 * training-state.json}: where the run stood after {@code step} (policy version, the next group id,
 * which fixes the prompts and sampling seeds of everything that follows, see {@code Seeds}), the
 * ledger, the evaluations so far, the settings the run was started with, a digest of the warm-start
 * reference policy, and the resumes before this checkpoint.
 *
 * @param nextGroupId the first group id the buffer admits after {@code step}
 * @param acceptedGroups groups trained on so far (the staleness gate's count on resume)
 * @param settings the run's {@code r3} settings as {@code R3Config.table()} shows them
 * @param referenceSha256 digest of the run's version-0 weights ({@link #digest})
 * @param wallSeconds wall time of the run up to this checkpoint, over all its processes
 */
public record TrainingState(
    long step,
    long version,
    long nextGroupId,
    long acceptedGroups,
    LedgerCounts ledger,
    List<Evaluator.Result> evals,
    Map<String, String> settings,
    String referenceSha256,
    List<ResumeRecord> resumes,
    double wallSeconds) {

  public static final String FILE = "training-state.json";
  static final String FORMAT = "r3-training-state-1";
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  public TrainingState {
    evals = List.copyOf(evals);
    settings = Map.copyOf(settings);
    resumes = List.copyOf(resumes);
  }

  /**
   * One resume of the run.
   *
   * @param fromStep the checkpoint step it continued from
   * @param lostInCrash trajectories the checkpoint had buffered or in training (dropped as {@code
   *     lost_in_crash})
   * @param forced settings that differed from the run's and were accepted with --force: key -> "old
   *     -> new"
   */
  public record ResumeRecord(
      long fromStep, String checkpoint, long lostInCrash, Map<String, String> forced) {
    public ResumeRecord {
      forced = Map.copyOf(forced);
    }
  }

  public void write(Path dir) throws IOException {
    JsonObject o = new JsonObject();
    o.addProperty("format", FORMAT);
    o.addProperty("step", step);
    o.addProperty("version", version);
    o.addProperty("next_group_id", nextGroupId);
    o.addProperty("accepted_groups", acceptedGroups);
    o.add("ledger", GSON.toJsonTree(ledgerMap(ledger)));
    o.add("evals", GSON.toJsonTree(evals));
    o.add("settings", GSON.toJsonTree(new TreeMap<>(settings)));
    o.addProperty("reference_sha256", referenceSha256);
    o.add("resumes", GSON.toJsonTree(resumes));
    o.addProperty("wall_seconds", wallSeconds);
    Files.writeString(dir.resolve(FILE), GSON.toJson(o) + "\n", StandardCharsets.UTF_8);
  }

  /**
   * Reads {@code dir/training-state.json}.
   *
   * @throws IOException naming the file and what is missing or malformed
   */
  public static TrainingState read(Path dir) throws IOException {
    Path f = dir.resolve(FILE);
    if (!Files.isRegularFile(f)) {
      throw new IOException(
          "checkpoint " + dir + " has no " + FILE + " (written by an R3 without resume?)");
    }
    try {
      JsonObject o = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
      if (!FORMAT.equals(o.get("format").getAsString())) {
        throw new IOException(f + ": format " + o.get("format") + ", expected " + FORMAT);
      }
      List<Evaluator.Result> evals = new ArrayList<>();
      o.getAsJsonArray("evals").forEach(e -> evals.add(GSON.fromJson(e, Evaluator.Result.class)));
      Map<String, String> settings = new LinkedHashMap<>();
      o.getAsJsonObject("settings")
          .entrySet()
          .forEach(e -> settings.put(e.getKey(), e.getValue().getAsString()));
      List<ResumeRecord> resumes = new ArrayList<>();
      o.getAsJsonArray("resumes").forEach(e -> resumes.add(GSON.fromJson(e, ResumeRecord.class)));
      return new TrainingState(
          o.get("step").getAsLong(),
          o.get("version").getAsLong(),
          o.get("next_group_id").getAsLong(),
          o.get("accepted_groups").getAsLong(),
          ledger(o.getAsJsonObject("ledger")),
          evals,
          settings,
          o.get("reference_sha256").getAsString(),
          resumes,
          o.get("wall_seconds").getAsDouble());
    } catch (RuntimeException e) {
      throw new IOException(f + " is malformed: " + e, e);
    }
  }

  private static Map<String, Object> ledgerMap(LedgerCounts l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("produced", l.produced());
    m.put("trained", l.trained());
    m.put("in_training", l.inTraining());
    m.put("buffered", l.buffered());
    m.put("dropped", l.droppedByReason());
    Map<String, Long> abandoned = new LinkedHashMap<>();
    for (DropReason r : DropReason.values()) {
      abandoned.put(name(r), l.abandonedGroups(r));
    }
    m.put("abandoned_groups", abandoned);
    return m;
  }

  private static LedgerCounts ledger(JsonObject o) {
    long[] dropped = new long[DropReason.values().length];
    long[] abandoned = new long[DropReason.values().length];
    JsonObject d = o.getAsJsonObject("dropped");
    JsonObject a = o.getAsJsonObject("abandoned_groups");
    for (DropReason r : DropReason.values()) {
      if (d.has(name(r))) {
        dropped[r.ordinal()] = d.get(name(r)).getAsLong();
      }
      if (a.has(name(r))) {
        abandoned[r.ordinal()] = a.get(name(r)).getAsLong();
      }
    }
    for (String k : d.keySet()) {
      DropReason.valueOf(k.toUpperCase(Locale.ROOT)); // an unknown reason is a malformed file
    }
    return new LedgerCounts(
        o.get("produced").getAsLong(),
        o.get("trained").getAsLong(),
        o.get("in_training").getAsLong(),
        o.get("buffered").getAsLong(),
        dropped,
        abandoned);
  }

  private static String name(DropReason r) {
    return r.name().toLowerCase(Locale.ROOT);
  }

  /** SHA-256 over the tensors' names, shapes and float bits, in name order. */
  public static String digest(ModelWeights w) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, HostTensor> e : new TreeMap<>(w.tensors()).entrySet()) {
        md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
        HostTensor t = e.getValue();
        ByteBuffer b = ByteBuffer.allocate(4 * (t.shape().length + t.data().length));
        for (int d : t.shape()) {
          b.putInt(d);
        }
        for (float x : t.data()) {
          b.putInt(Float.floatToRawIntBits(x));
        }
        md.update(b.array());
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
