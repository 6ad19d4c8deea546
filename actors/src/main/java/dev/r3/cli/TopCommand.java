package dev.r3.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./r3 top}: a running run's monitor in the terminal (actor tree with restarts, cluster
 * members, ledger, the last step's numbers, sparklines of the live curves), read from the monitor's
 * JSON API and redrawn every second, for a person on a server over ssh. It ends when the run ends
 * (after drawing its last state), after {@code --frames}, or on Ctrl-C.
 */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    description =
        "Watch a running run in the terminal: actor tree with restarts, ledger, last step, curves"
            + " (reads the monitor's HTTP API; ./r3 train prints its URL).")
final class TopCommand implements Callable<Integer> {

  @Option(
      names = "--url",
      paramLabel = "URL",
      description = "the monitor's URL as ./r3 train prints it (default: ${DEFAULT-VALUE})",
      defaultValue = "http://127.0.0.1:8265/")
  String url;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      description = "shorthand for --url http://127.0.0.1:PORT/")
  Integer port;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description = "bearer token of a monitor bound beyond loopback (default: $R3_MONITOR_TOKEN)")
  String token;

  @Option(
      names = "--every",
      paramLabel = "SECONDS",
      description = "seconds between frames (default: ${DEFAULT-VALUE})",
      defaultValue = "1")
  double every;

  @Option(
      names = "--frames",
      paramLabel = "N",
      description = "stop after N frames; 0 = until the run ends (default: ${DEFAULT-VALUE})",
      defaultValue = "0")
  int frames;

  @Option(names = "--once", description = "draw one frame and exit (same as --frames 1)")
  boolean once;

  @Option(
      names = "--width",
      paramLabel = "COLUMNS",
      description = "line width (default: $COLUMNS, else 160)")
  Integer width;

  @Override
  public Integer call() throws InterruptedException {
    if (every <= 0) {
      throw new IllegalArgumentException("--every must be > 0 seconds, got " + every);
    }
    if (port != null && (port < 1 || port > 65535)) {
      throw new IllegalArgumentException("--port must be 1..65535, got " + port);
    }
    String tok = token != null ? token : System.getenv().getOrDefault("R3_MONITOR_TOKEN", "");
    MonitorClient client =
        new MonitorClient(port != null ? "http://127.0.0.1:" + port + "/" : url, tok);
    boolean terminal = System.console() != null && System.getenv("NO_COLOR") == null;
    TopView view = new TopView(terminal);
    int cols = width != null ? width : columns();
    int limit = once ? 1 : frames;
    PrintStream out = System.out;
    for (int n = 1; ; n++) {
      JsonObject state;
      try {
        state = client.state();
      } catch (IllegalStateException e) {
        if (n == 1) {
          throw e;
        }
        out.println("the monitor went away (the run ended, or its JVM stopped): " + e.getMessage());
        return 0;
      }
      long step = state.getAsJsonObject("run").get("step").getAsLong();
      JsonObject m = client.metricsSince(Math.max(0, step - TopView.CURVE_POINTS));
      List<JsonObject> rows = new ArrayList<>();
      for (JsonElement r : m.getAsJsonArray("rows")) {
        rows.add(r.getAsJsonObject());
      }
      JsonArray evals = m.getAsJsonArray("evals");
      String frame = view.frame(state, rows, evals, client.url(), cols);
      out.print(terminal ? "\u001b[H\u001b[2J" + frame : frame + "\n");
      out.flush();
      String status = state.getAsJsonObject("run").get("status").getAsString();
      boolean over = !"running".equals(status) && !"starting".equals(status);
      if (over) {
        out.println("the run is " + status + ".");
        return "failed".equals(status) ? 1 : 0;
      }
      if (limit > 0 && n >= limit) {
        return 0;
      }
      Thread.sleep((long) (every * 1000));
    }
  }

  private static int columns() {
    try {
      return Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "160"));
    } catch (NumberFormatException e) {
      return 160;
    }
  }
}
