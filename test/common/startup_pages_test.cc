// common/startup_pages.h: the unmapped ranges are given back, and nothing the process
// needs is lost (code runs, string literals read, relocated tables and vtables still point
// where they did: dropping a RELRO page would revert them to the file's unrelocated bytes).
#include "common/startup_pages.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <string>

namespace plughost {
namespace {

// The resident kB of file-backed mappings (RssFile), from /proc/self/status.
long ResidentFileKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssFile:", 0) == 0) return std::stol(line.substr(8));
  }
  return -1;
}

struct Shape {
  virtual ~Shape() = default;
  virtual int Sides() const = 0;
};
struct Triangle : Shape {
  int Sides() const override { return 3; }
};
struct Square : Shape {
  int Sides() const override { return 4; }
};

int Twice(int x) { return 2 * x; }
int Thrice(int x) { return 3 * x; }
// A table of pointers: relocated by the loader, then read-only (RELRO) in a PIE.
int (*const kTable[])(int) = {Twice, Thrice};
const char* const kNames[] = {"twice", "thrice"};

TEST_CASE("startup pages: read-only file pages go back, relocated data stays") {
  long before = ResidentFileKb();
  REQUIRE(before > 0);
  ReleasedPages released = ReleaseStartupPages();
  long after = ResidentFileKb();
  CHECK(released.code_bytes > 0);
  CHECK(after < before);

  std::unique_ptr<Shape> shapes[] = {std::make_unique<Triangle>(), std::make_unique<Square>()};
  CHECK(shapes[0]->Sides() + shapes[1]->Sides() == 7);
  CHECK(kTable[0](5) == 10);
  CHECK(kTable[1](5) == 15);
  CHECK(std::string(kNames[1]) == "thrice");
  // Twice in a row is as safe: nothing left to give back is not an error.
  ReleaseStartupPages();
  CHECK(kTable[1](2) == 6);
}

}  // namespace
}  // namespace plughost
