#include <catch2/catch.hpp>

#include "host/components/binding_direction.h"

namespace plughost {

TEST_CASE("a binding's direction metadata decides which sides serve, as in Dapr") {
  constexpr auto kIn = ComponentKind::kInputBinding;
  constexpr auto kOut = ComponentKind::kOutputBinding;

  SECTION("without direction both sides serve, neither explicitly") {
    std::map<std::string, std::string> none = {{"rootPath", "/tmp"}};
    CHECK(BindingServesAs(none, kIn));
    CHECK(BindingServesAs(none, kOut));
    CHECK_FALSE(BindingDirectionNames(none, kIn));
    CHECK_FALSE(BindingDirectionNames(none, kOut));
  }
  SECTION("one side named") {
    std::map<std::string, std::string> output = {{"direction", "output"}};
    CHECK_FALSE(BindingServesAs(output, kIn));
    CHECK(BindingServesAs(output, kOut));
    CHECK(BindingDirectionNames(output, kOut));
    CHECK_FALSE(BindingDirectionNames(output, kIn));
  }
  SECTION("both named, with spaces and any case, under a key in any case") {
    std::map<std::string, std::string> both = {{"Direction", " Input ,OUTPUT "}};
    CHECK(BindingServesAs(both, kIn));
    CHECK(BindingServesAs(both, kOut));
    CHECK(BindingDirectionNames(both, kIn));
    CHECK(BindingDirectionNames(both, kOut));
  }
  SECTION("a direction naming neither side serves neither") {
    std::map<std::string, std::string> odd = {{"direction", "sideways"}};
    CHECK_FALSE(BindingServesAs(odd, kIn));
    CHECK_FALSE(BindingServesAs(odd, kOut));
    std::map<std::string, std::string> empty = {{"direction", ""}};
    CHECK_FALSE(BindingServesAs(empty, kIn));
  }
}

}  // namespace plughost
