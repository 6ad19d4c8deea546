package dev.r3.actors.djl;

import dev.r3.env.CharTokenizer;
import dev.r3.env.SftExample;
import dev.r3.model.Sequence;
import java.util.ArrayList;
import java.util.List;

/**
 * Supervised examples as trainer sequences: the edge between env's {@link SftExample} (boolean loss
 * mask) and model's {@link Sequence} (byte mask), which know nothing of each other.
 */
public final class SftSequences {
  private SftSequences() {}

  /**
   * One sequence per example, in order, with ids {@code idPrefix + index}: prompt tokens context
   * only, model turns trained, observations masked as the example says.
   */
  public static List<Sequence> of(List<SftExample> examples, CharTokenizer tok, String idPrefix) {
    List<Sequence> out = new ArrayList<>(examples.size());
    for (SftExample ex : examples) {
      SftExample.Encoded e = ex.encode(tok);
      byte[] mask = new byte[e.ids().length];
      for (int t = 0; t < mask.length; t++) {
        mask[t] = (byte) (e.lossMask()[t] ? 1 : 0);
      }
      out.add(new Sequence(idPrefix + out.size(), e.ids(), e.promptLength(), mask));
    }
    return out;
  }
}
