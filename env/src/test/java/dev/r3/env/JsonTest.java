package dev.r3.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void parse_readsNestedValues() {
    Object v = Json.parse(" {\"a\": [1, -2.5, true, null, \"x\\ny\\u0041\"], \"b\": {}} ");
    assertThat(v)
        .isEqualTo(
            Map.of("a", java.util.Arrays.asList(1L, -2.5, true, null, "x\nyA"), "b", Map.of()));
  }

  @Test
  void parse_rejectsMalformedInputWithOffset() {
    assertThatThrownBy(() -> Json.parse("[1, 2")).hasMessageContaining("offset");
    assertThatThrownBy(() -> Json.parse("{\"a\" 1}")).hasMessageContaining("expected ':'");
    assertThatThrownBy(() -> Json.parse("[1] x")).hasMessageContaining("trailing");
    assertThatThrownBy(() -> Json.parse("[".repeat(100) + "]".repeat(100)))
        .hasMessageContaining("deep");
  }

  @Property(tries = 300)
  void writeThenParse_roundTripsStrings(@ForAll String s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", s);
    m.put("l", List.of(s, 3L));
    assertThat(Json.parse(Json.write(m))).isEqualTo(m);
  }
}
