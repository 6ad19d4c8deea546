package dev.r3.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TrainCommandTest {

  private static int run(StringWriter err, String... args) {
    CommandLine cl = R3.commandLine();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(new StringWriter()));
    return cl.execute(args);
  }

  @Test
  void badSetting_failsAtStart_withOneLineNamingTheKey() {
    StringWriter err = new StringWriter();
    int code = run(err, "train", "--set", "learner.mini-steps=0");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .contains("r3.learner.mini-steps must be >= 1, got 0")
        .doesNotContain("\tat ");
  }

  @Test
  void unknownKey_failsAtStart() {
    StringWriter err = new StringWriter();
    assertThat(run(err, "train", "--set", "learner.ministeps=2")).isEqualTo(2);
    assertThat(err.toString()).contains("unknown config key r3.learner.ministeps");
  }

  @Test
  void trainAndPretrain_areRegistered() {
    CommandLine cl = R3.commandLine();
    assertThat(cl.getSubcommands()).containsKeys("train", "pretrain");
  }
}
