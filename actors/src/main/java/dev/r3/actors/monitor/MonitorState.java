package dev.r3.actors.monitor;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.r3.actors.run.MetricNames;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the monitor knows about a run, free of actors: every supervised actor and its history, the
 * per-step rows, the evaluations, the settings and the status; rendered as the JSON of {@code
 * /api/state} and {@code /api/metrics} (schema in the README). Only the {@link Monitor} touches it.
 */
final class MonitorState {
  static final Gson GSON = new GsonBuilder().serializeNulls().create();

  /** A supervised actor as the monitor sees it. */
  static final class ActorEntry {
    final String path;
    final String role;
    final String node;
    final ActorGauges gauges;
    String state = "running";
    long startedAt;
    long restarts;
    long failures;
    String lastFailure;
    long lastFailureAt;
    String stoppedBecause;
    long stoppedAt;

    ActorEntry(String path, String role, String node, ActorGauges gauges) {
      this.path = path;
      this.role = role;
      this.node = node;
      this.gauges = gauges;
    }

    String name() {
      return path.substring(path.lastIndexOf('/') + 1);
    }
  }

  private final Map<String, ActorEntry> actors = new LinkedHashMap<>();
  private final List<Map<String, Object>> rows = new ArrayList<>();
  private final List<Map<String, Object>> evals = new ArrayList<>();
  private final int maxRows;
  private String name = "";
  private String dir = "";
  private long totalSteps;
  private List<String[]> settings = List.of();
  private String status = "starting";
  private long resumedFrom = -1;
  private String failure;
  private final long startedAt = System.currentTimeMillis();
  private long endedAt;

  MonitorState(int maxRows) {
    this.maxRows = maxRows;
  }

  // ---- updates ----

  void run(String name, String dir, long totalSteps, List<String[]> settings) {
    this.name = name;
    this.dir = dir;
    this.totalSteps = totalSteps;
    this.settings = List.copyOf(settings);
    this.status = "running";
  }

  /** A (re)start: a known path that starts again counts a restart. */
  ActorEntry started(String path, String role, String node, ActorGauges gauges, long at) {
    ActorEntry e = actors.get(path);
    if (e == null || e.gauges != gauges) {
      ActorEntry fresh = new ActorEntry(path, role, node, gauges);
      if (e != null) {
        fresh.restarts = e.restarts; // a new actor of the same name (respawned): keep its history
        fresh.failures = e.failures;
        fresh.lastFailure = e.lastFailure;
        fresh.lastFailureAt = e.lastFailureAt;
      }
      e = fresh;
      actors.put(path, e);
    } else {
      e.restarts++;
    }
    e.state = "running";
    e.startedAt = at;
    e.stoppedBecause = null;
    return e;
  }

  ActorEntry failed(String path, String error, long at) {
    ActorEntry e = actors.get(path);
    if (e != null) {
      e.failures++;
      e.lastFailure = error;
      e.lastFailureAt = at;
    }
    return e;
  }

  ActorEntry restarting(String path) {
    ActorEntry e = actors.get(path);
    if (e != null) {
      e.state = "restarting";
    }
    return e;
  }

  /** A stop; after a failure with no restart the failure is why, else the run's own shutdown. */
  ActorEntry stopped(String path, long at) {
    ActorEntry e = actors.get(path);
    if (e != null) {
      boolean failedJustNow = e.lastFailure != null && e.lastFailureAt >= e.startedAt;
      e.state = "stopped";
      e.stoppedAt = at;
      e.stoppedBecause =
          failedJustNow
              ? "failed: " + e.lastFailure
              : ("running".equals(status) ? "stopped" : "run " + status);
    }
    return e;
  }

  /**
   * A resumed run's earlier rows, before its own: rows at or after the first row already held are
   * left out (they are this process's).
   */
  void history(long fromStep, List<Map<String, Object>> steps, List<Map<String, Object>> earlier) {
    resumedFrom = fromStep;
    long firstOwn = rows.isEmpty() ? Long.MAX_VALUE : stepOf(rows.get(0));
    List<Map<String, Object>> before = new ArrayList<>();
    for (Map<String, Object> r : steps) {
      if (stepOf(r) < firstOwn) {
        before.add(r);
      }
    }
    rows.addAll(0, before);
    while (rows.size() > maxRows) {
      rows.remove(0);
    }
    evals.addAll(0, earlier);
  }

  void step(Map<String, Object> row) {
    rows.add(row);
    if (rows.size() > maxRows) {
      rows.remove(0);
    }
  }

  void eval(Map<String, Object> row) {
    evals.add(row);
  }

  void ended(String status, String failure) {
    this.status = status;
    this.failure = failure;
    this.endedAt = System.currentTimeMillis();
  }

  // ---- reads ----

  Iterable<ActorEntry> actors() {
    return actors.values();
  }

  long lastStep() {
    return rows.isEmpty() ? 0 : stepOf(rows.get(rows.size() - 1));
  }

  Map<String, Object> lastRow() {
    return rows.isEmpty() ? null : rows.get(rows.size() - 1);
  }

  /** {@code /api/state} */
  JsonObject stateJson(JsonObject cluster) {
    JsonObject o = new JsonObject();
    JsonObject run = new JsonObject();
    run.addProperty("name", name);
    run.addProperty("dir", dir);
    run.addProperty("status", status);
    run.addProperty("failure", failure);
    run.addProperty("step", lastStep());
    run.addProperty("total_steps", totalSteps);
    run.addProperty("resumed_from_step", resumedFrom < 0 ? null : resumedFrom);
    run.addProperty("started_at", Instant.ofEpochMilli(startedAt).toString());
    long end = endedAt > 0 ? endedAt : System.currentTimeMillis();
    run.addProperty("elapsed_s", (end - startedAt) / 1000.0);
    JsonArray table = new JsonArray();
    for (String[] kv : settings) {
      JsonArray pair = new JsonArray();
      pair.add(kv[0]);
      pair.add(kv[1]);
      table.add(pair);
    }
    run.add("settings", table);
    o.add("run", run);
    JsonArray list = new JsonArray();
    for (ActorEntry e : actors.values()) {
      list.add(actorJson(e));
    }
    o.add("actors", list);
    o.add("cluster", cluster);
    o.add("ledger", ledgerJson());
    o.add("last_step", GSON.toJsonTree(lastRow()));
    o.add("evals", GSON.toJsonTree(evals));
    return o;
  }

  private static JsonObject actorJson(ActorEntry e) {
    JsonObject a = new JsonObject();
    a.addProperty("path", e.path);
    a.addProperty("name", e.name());
    a.addProperty("node", e.node);
    a.addProperty("role", e.role);
    a.addProperty("state", e.state);
    a.addProperty("restarts", e.restarts);
    a.addProperty("failures", e.failures);
    JsonObject lf = null;
    if (e.lastFailure != null) {
      lf = new JsonObject();
      lf.addProperty("time", Instant.ofEpochMilli(e.lastFailureAt).toString());
      lf.addProperty("message", e.lastFailure);
    }
    a.add("last_failure", lf);
    a.addProperty("stopped_because", e.stoppedBecause);
    a.addProperty("started_at", Instant.ofEpochMilli(e.startedAt).toString());
    long last = e.gauges.lastMessageMillis();
    a.addProperty("last_message_at", last == 0 ? null : Instant.ofEpochMilli(last).toString());
    a.addProperty("messages", e.gauges.messages());
    long n = e.gauges.messages();
    a.addProperty("processing_ms_mean", n == 0 ? 0.0 : e.gauges.processingNanos() / 1e6 / n);
    int mailbox = e.gauges.mailbox();
    a.addProperty("mailbox", mailbox < 0 ? null : mailbox);
    a.addProperty("busy", e.gauges.busy());
    a.addProperty("in_flight", e.gauges.children());
    return a;
  }

  /** The ledger of the last step: produced, trained, dropped in total and by reason. */
  private JsonObject ledgerJson() {
    JsonObject l = new JsonObject();
    Map<String, Object> r = lastRow();
    JsonObject byReason = new JsonObject();
    if (r != null) {
      String prefix = MetricNames.dropped("");
      for (Map.Entry<String, Object> kv : r.entrySet()) {
        String k = kv.getKey();
        if (k.startsWith(prefix) && kv.getValue() instanceof Number v) {
          byReason.addProperty(k.substring(prefix.length()), v);
        } else if (k.startsWith("ledger/")
            && !k.startsWith(prefix)
            && kv.getValue() instanceof Number v) {
          l.addProperty(k.substring("ledger/".length()), v);
        }
      }
    }
    l.add("dropped_by_reason", byReason);
    return l;
  }

  /** {@code /api/metrics?since=STEP}: the rows after {@code since}, at most {@code limit}. */
  JsonObject metricsJson(long since, int limit) {
    JsonObject o = new JsonObject();
    int from = firstAfter(since);
    int to = (int) Math.min(rows.size(), (long) from + limit);
    o.add("rows", GSON.toJsonTree(rows.subList(from, to)));
    o.add("evals", GSON.toJsonTree(evals)); // a handful: always all of them
    o.addProperty("last_step", to == 0 ? since : stepOf(rows.get(to - 1)));
    o.addProperty("more", to < rows.size());
    return o;
  }

  /** Index of the first row whose step is after {@code since} (rows are in step order). */
  private int firstAfter(long since) {
    int lo = 0;
    int hi = rows.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (stepOf(rows.get(mid)) <= since) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static long stepOf(Map<String, Object> row) {
    return ((Number) row.get(MetricNames.STEP)).longValue();
  }
}
