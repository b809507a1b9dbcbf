#include "common/gate.h"

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

using plughost::Gate;
using std::chrono::milliseconds;

TEST_CASE("Gate refuses new work once closed and lets work in flight finish") {
  Gate gate;
  REQUIRE(gate.TryEnter());
  gate.Close();
  CHECK_FALSE(gate.TryEnter());
  CHECK(gate.in_flight() == 1);
  CHECK_FALSE(gate.WaitFor(milliseconds(10)));  // still in flight
  gate.Leave();
  CHECK(gate.WaitFor(milliseconds(0)));
}

TEST_CASE("Gate::CloseAndWait returns when the last holder on another thread leaves") {
  Gate gate;
  std::atomic<bool> left{false};
  Gate::Holder holder(gate);
  REQUIRE(holder);
  std::thread worker([&, h = std::move(holder)]() mutable {
    std::this_thread::sleep_for(milliseconds(20));
    left = true;
    h.Release();
  });
  CHECK(gate.CloseAndWait(milliseconds(10000)));
  CHECK(left);
  worker.join();
}

TEST_CASE("Gate::Holder is empty on a closed gate and leaves exactly once") {
  Gate gate;
  {
    Gate::Holder a(gate);
    Gate::Holder b = std::move(a);
    CHECK_FALSE(a);
    CHECK(b);
    CHECK(gate.in_flight() == 1);
  }
  CHECK(gate.in_flight() == 0);
  gate.Close();
  Gate::Holder refused(gate);
  CHECK_FALSE(refused);
  CHECK(gate.in_flight() == 0);
}
