package dev.r3.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a long run watches for leaks: NDArrays alive in the whole process and the resident set size.
 * Counting walks every manager under DJL's system manager (sub-managers included), so it is for
 * sampling every few seconds, not for hot paths.
 */
public final class NativeMemory {
  private NativeMemory() {}

  private static final int ATTEMPTS = 3;

  /**
   * NDArrays currently alive under the engine's system manager, or -1 when they cannot be counted
   * (managers kept closing under the walk three times in a row).
   */
  public static long liveArrays() {
    try (NDManager probe = Engine.getInstance().newBaseManager()) {
      NDManager system = probe.getParentManager();
      for (int i = 0; i < ATTEMPTS; i++) {
        try {
          return system.getManagedArrays().size();
        } catch (RuntimeException e) {
          // a manager closed while the walk was inside it: count again
        }
      }
      return -1;
    }
  }

  /** Resident set size of this process in KiB (Linux {@code /proc/self/status}), or -1. */
  public static long rssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux, or an unreadable status file
    }
    return -1;
  }
}
