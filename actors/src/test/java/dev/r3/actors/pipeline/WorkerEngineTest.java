package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.ports.Generator;
import dev.r3.model.Generation;
import dev.r3.model.SamplingParams;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine a rollout worker holds: which batches use it, and that none is left open. */
class WorkerEngineTest {

  /** An engine that counts its closes. */
  static final class Engine implements Generator {
    int closed;
    boolean failOnClose;

    @Override
    public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {
      closed++;
      if (failOnClose) {
        throw new IllegalStateException("native free failed");
      }
    }
  }

  final WorkerEngine held = new WorkerEngine("w0");

  @Test
  void aBatchUsesTheHeldEngine_onlyWhenItIsOfTheBatchsVersion() {
    Engine v1 = new Engine();
    assertThat(held.of(1)).as("none held yet").isNull();
    assertThat(held.version()).isEqualTo(-1);

    held.adopt(v1, 1);

    assertThat(held.of(1)).isSameAs(v1);
    assertThat(held.of(2)).isNull();
    assertThat(held.version()).isEqualTo(1);
  }

  @Test
  void adoptingANewerEngine_closesTheOlderOne_andAdoptingTheSameOneClosesNothing() {
    Engine v1 = new Engine();
    Engine v2 = new Engine();
    held.adopt(v1, 1);
    held.adopt(v1, 1);
    held.adopt(null, 2); // a batch that opened no engine
    assertThat(v1.closed).isZero();

    held.adopt(v2, 2);

    assertThat(v1.closed).isEqualTo(1);
    assertThat(v2.closed).isZero();
    assertThat(held.of(2)).isSameAs(v2);
  }

  @Test
  void stopping_closesTheHeldEngine_unlessABatchStillRunsOnIt() {
    Engine idle = new Engine();
    held.adopt(idle, 1);
    held.stop(false);
    assertThat(idle.closed).isEqualTo(1);
    assertThat(held.version()).isEqualTo(-1);

    Engine busy = new Engine();
    held.adopt(busy, 2);
    held.stop(true);
    assertThat(busy.closed).as("the running batch closes it when it ends").isZero();
    assertThat(held.of(2)).isNull();
  }

  @Test
  void aFailedCloseAtTheStop_isLoggedNotThrown() {
    Engine e = new Engine();
    e.failOnClose = true;
    held.adopt(e, 1);

    held.stop(false);

    assertThat(e.closed).isEqualTo(1);
    held.closeQuietly(null); // nothing to close
  }
}
