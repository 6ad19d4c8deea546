package dev.r3.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * Runs one {@code ./r3} command line in this JVM and keeps what it printed: the commands write
 * progress to {@code System.err} (captured for the call) and errors to picocli's writer.
 *
 * @param code the exit code
 * @param out standard output
 * @param err standard error and picocli's error writer
 */
record CliRun(int code, String out, String err) {

  static synchronized CliRun of(String... args) {
    ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    StringWriter picoErr = new StringWriter();
    PrintStream oldErr = System.err;
    PrintStream oldOut = System.out;
    int code;
    try (PrintStream e = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(outBytes, true, StandardCharsets.UTF_8)) {
      System.setErr(e);
      System.setOut(o);
      CommandLine cl = R3.commandLine();
      cl.setErr(new PrintWriter(picoErr));
      code = cl.execute(args);
    } finally {
      System.setErr(oldErr);
      System.setOut(oldOut);
    }
    return new CliRun(
        code,
        outBytes.toString(StandardCharsets.UTF_8),
        errBytes.toString(StandardCharsets.UTF_8) + picoErr);
  }
}
