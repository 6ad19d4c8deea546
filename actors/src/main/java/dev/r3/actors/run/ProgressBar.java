package dev.r3.actors.run;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar on stderr: step i/N, reward, accuracy, last eval, time left. */
public final class ProgressBar {
  private static final int WIDTH = 24;
  private final PrintStream out;
  private final long total;
  private final long startNanos = System.nanoTime();
  private final boolean enabled;
  private double lastEval = Double.NaN;

  public ProgressBar(PrintStream out, long total, boolean enabled) {
    this.out = out;
    this.total = total;
    this.enabled = enabled;
  }

  public void eval(double accuracy) {
    lastEval = accuracy;
  }

  public void step(long step, double reward, double accuracy, double staleness) {
    if (!enabled) {
      return;
    }
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    double left = step == 0 ? 0 : elapsed / step * (total - step);
    int fill = (int) (WIDTH * step / Math.max(1, total));
    String bar = "=".repeat(fill) + (fill < WIDTH ? ">" + " ".repeat(WIDTH - fill - 1) : "");
    out.print(
        String.format(
            Locale.ROOT,
            "\rstep %d/%d [%s] reward %.3f acc %.3f eval %s stale %.2f  %s left   ",
            step,
            total,
            bar,
            reward,
            accuracy,
            Double.isNaN(lastEval) ? "-" : String.format(Locale.ROOT, "%.3f", lastEval),
            staleness,
            clock(left)));
    if (step >= total) {
      out.println();
    }
    out.flush();
  }

  static String clock(double seconds) {
    long s = Math.round(seconds);
    return String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
  }
}
