package dev.r3.actors.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.actors.djl.ModelSizes;
import dev.r3.model.ModelWeights;
import dev.r3.model.WeightRounding;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class WeightsCodecTest {
  private final ModelWeights w = ModelWeights.random(ModelSizes.of("tiny", 40), 7);

  @Test
  void fp32_roundTripsBitExact() {
    byte[] b = WeightsCodec.encode(w, WeightsCodec.Transport.FP32);
    assertThat(WeightsCodec.decode(b).sameAs(w)).isTrue();
  }

  @Test
  void bf16_isHalfTheBytes_andGivesWhatABf16EngineHolds() {
    byte[] fp32 = WeightsCodec.encode(w, WeightsCodec.Transport.FP32);
    byte[] bf16 = WeightsCodec.encode(w, WeightsCodec.Transport.BF16);
    assertThat((double) bf16.length).isLessThan(fp32.length * 0.52);
    ModelWeights back = WeightsCodec.decode(bf16);
    for (var e : w.tensors().entrySet()) {
      float[] sent = e.getValue().data();
      float[] got = back.get(e.getKey()).data();
      for (int i = 0; i < sent.length; i++) {
        assertThat(got[i]).isEqualTo(WeightRounding.roundBf16(sent[i]));
      }
    }
  }

  @Test
  void damagedBytes_areRefused_andTheChecksumSeesOneFlippedBit() {
    byte[] b = WeightsCodec.encode(w, WeightsCodec.Transport.FP32);
    assertThatThrownBy(() -> WeightsCodec.decode(Arrays.copyOf(b, b.length - 3)))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] flipped = b.clone();
    flipped[b.length / 2] ^= 1;
    assertThat(WeightsCodec.checksum(flipped)).isNotEqualTo(WeightsCodec.checksum(b));
  }
}
