#include "host/builtins/local_storage_binding.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace plughost {
namespace {

namespace fs = std::filesystem;

struct TempFolder {
  TempFolder() {
    char pattern[] = "/tmp/ph-localstorage-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

grpc::Status InitWith(LocalStorageBinding& binding, std::map<std::string, std::string> metadata) {
  grpc::Status result(grpc::StatusCode::UNKNOWN, "done never called");
  binding.Init(InitSpec{"files", "bindings.localstorage", std::move(metadata)},
               [&result](grpc::Status status) { result = std::move(status); });
  return result;
}

struct Outcome {
  grpc::Status status{grpc::StatusCode::UNKNOWN, "done never called"};
  bindingspb::InvokeResponse response;
};

Outcome Invoke(LocalStorageBinding& binding, const std::string& operation,
               const std::string& file_name = "", const std::string& data = "") {
  bindingspb::InvokeRequest request;
  request.set_operation(operation);
  request.set_data(data);
  if (!file_name.empty()) (*request.mutable_metadata())["fileName"] = file_name;
  Outcome outcome;
  binding.Invoke(std::move(request), CallOptions{},
                 [&outcome](grpc::Status status, bindingspb::InvokeResponse response) {
                   outcome.status = std::move(status);
                   outcome.response = std::move(response);
                 });
  return outcome;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("bindings.localstorage: rootPath is required and created", "[localstorage]") {
  TempFolder temp;
  LocalStorageBinding binding;
  auto missing = InitWith(binding, {});
  CHECK(missing.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(missing.error_message(), Catch::Contains("rootPath"));

  auto file = temp.path / "a-file";
  std::ofstream(file) << "x";
  auto not_folder = InitWith(binding, {{"rootPath", file.string()}});
  CHECK(not_folder.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(not_folder.error_message(), Catch::Contains("rootPath"));

  auto root = temp.path / "deep" / "root";
  REQUIRE(InitWith(binding, {{"rootPath", root.string()}}).ok());
  CHECK(fs::is_directory(root));
  CHECK(binding.Operations() == std::vector<std::string>{"create", "get", "delete", "list"});
}

TEST_CASE("bindings.localstorage: create, get, list and delete files", "[localstorage]") {
  TempFolder temp;
  LocalStorageBinding binding;
  REQUIRE(InitWith(binding, {{"rootPath", temp.path.string()}}).ok());

  std::string binary("a\0b\xff", 4);
  auto created = Invoke(binding, "create", "one.bin", binary);
  REQUIRE(created.status.ok());
  CHECK(created.response.metadata().at("fileName") == "one.bin");
  CHECK(nlohmann::json::parse(created.response.data())["fileName"] == "one.bin");
  CHECK(ReadFile(temp.path / "one.bin") == binary);

  // Without a name, a UUID is chosen and returned.
  auto unnamed = Invoke(binding, "create", "", "hello");
  REQUIRE(unnamed.status.ok());
  std::string generated = unnamed.response.metadata().at("fileName");
  CHECK(std::regex_match(
      generated,
      std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(Invoke(binding, "get", generated).response.data() == "hello");

  // Sub-folders are created; a second create replaces the content.
  REQUIRE(Invoke(binding, "create", "sub/dir/two.txt", "first").status.ok());
  REQUIRE(Invoke(binding, "create", "sub/dir/two.txt", "second").status.ok());
  auto got = Invoke(binding, "get", "sub/dir/two.txt");
  REQUIRE(got.status.ok());
  CHECK(got.response.data() == "second");

  auto listed = Invoke(binding, "list");
  REQUIRE(listed.status.ok());
  auto names = nlohmann::json::parse(listed.response.data()).get<std::vector<std::string>>();
  std::vector<std::string> expected = {generated, "one.bin", "sub/dir/two.txt"};
  std::sort(expected.begin(), expected.end());
  CHECK(names == expected);
  auto sub = Invoke(binding, "list", "sub");
  REQUIRE(sub.status.ok());
  CHECK(nlohmann::json::parse(sub.response.data()) == nlohmann::json{"sub/dir/two.txt"});

  REQUIRE(Invoke(binding, "delete", "one.bin").status.ok());
  CHECK_FALSE(fs::exists(temp.path / "one.bin"));
  CHECK(Invoke(binding, "get", "one.bin").status.error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("bindings.localstorage: missing files and names", "[localstorage]") {
  TempFolder temp;
  LocalStorageBinding binding;
  REQUIRE(InitWith(binding, {{"rootPath", temp.path.string()}}).ok());

  auto get = Invoke(binding, "get", "nope.txt");
  CHECK(get.status.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(get.status.error_message() == "file \"nope.txt\" not found");
  CHECK(Invoke(binding, "delete", "nope.txt").status.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(Invoke(binding, "list", "no-such-folder").status.error_code() ==
        grpc::StatusCode::NOT_FOUND);
  for (const char* operation : {"get", "delete"}) {
    auto unnamed = Invoke(binding, operation);
    CHECK(unnamed.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(unnamed.status.error_message(), Catch::Contains("fileName"));
  }
  REQUIRE(Invoke(binding, "create", "folder/x", "x").status.ok());
  CHECK(Invoke(binding, "get", "folder").status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(Invoke(binding, "delete", "folder").status.error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(Invoke(binding, "rename", "x").status.error_code() == grpc::StatusCode::UNIMPLEMENTED);
}

TEST_CASE("bindings.localstorage: no file name escapes rootPath", "[localstorage]") {
  TempFolder temp;
  auto root = temp.path / "root";
  auto outside = temp.path / "outside";
  fs::create_directories(outside);
  std::ofstream(outside / "secret.txt") << "secret";
  LocalStorageBinding binding;
  REQUIRE(InitWith(binding, {{"rootPath", root.string()}}).ok());
  // A folder link and a file link pointing out of the root, and a dangling one.
  fs::create_directory_symlink(outside, root / "out-dir");
  fs::create_symlink(outside / "secret.txt", root / "out-file");
  fs::create_symlink(outside / "planted.txt", root / "dangling");
  // A link that stays inside.
  std::ofstream(root / "inside.txt") << "inside";
  fs::create_symlink(root / "inside.txt", root / "in-link");

  const std::vector<std::string> escaping = {
      "../outside/secret.txt",           "a/../../outside/secret.txt", "..",       "/etc/passwd",
      (outside / "secret.txt").string(), "out-dir/secret.txt",         "out-file", "dangling"};
  for (const std::string& name : escaping) {
    for (const char* operation : {"create", "get", "delete"}) {
      INFO(operation << " " << name);
      auto outcome = Invoke(binding, operation, name, "overwritten");
      CHECK(outcome.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    }
  }
  CHECK(Invoke(binding, "list", "out-dir").status.error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(Invoke(binding, "list", "..").status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(ReadFile(outside / "secret.txt") == "secret");
  CHECK_FALSE(fs::exists(outside / "planted.txt"));

  // No link is followed, even one that stays inside: a link checked as harmless could be
  // re-pointed before the open (see the race below).
  CHECK(Invoke(binding, "get", "in-link").status.error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  // Listing does not follow the folder link out of the root.
  auto listed = Invoke(binding, "list");
  REQUIRE(listed.status.ok());
  CHECK_THAT(listed.response.data(), !Catch::Contains("secret.txt"));
}

TEST_CASE("bindings.localstorage: a symlink swapped in while reading never leaks outside",
          "[localstorage]") {
  TempFolder temp;
  auto root = temp.path / "root";
  auto outside = temp.path / "outside";
  fs::create_directories(outside);
  fs::create_directories(root / "sub");
  std::ofstream(outside / "secret.txt") << "secret";
  LocalStorageBinding binding;
  REQUIRE(InitWith(binding, {{"rootPath", root.string()}}).ok());

  // The name is, in turn, a plain file inside and a link to a file outside; its folder is,
  // in turn, a real folder and a link to the outside folder. Each swap is one atomic
  // exchange, as fast as the kernel allows, to hit the gap between a check and an open.
  std::ofstream(root / "target") << "inside";
  fs::create_symlink(outside / "secret.txt", root / "target-link");
  fs::create_directories(root / "sub-swap");
  std::ofstream(root / "sub-swap" / "secret.txt") << "inside";
  fs::create_directory_symlink(outside, root / "sub-link");
  std::atomic<bool> stop{false};
  std::atomic<int> swaps{0};
  std::thread swapper([&] {
    auto exchange = [&](const char* a, const char* b) {
      ::renameat2(AT_FDCWD, (root / a).c_str(), AT_FDCWD, (root / b).c_str(), RENAME_EXCHANGE);
    };
    while (!stop) {
      exchange("target", "target-link");
      exchange("sub-swap", "sub-link");
      swaps++;
    }
  });
  int escaped = 0, served = 0;
  // At least 2,000 reads, and on until the swapper has really run alongside (on a loaded
  // machine it may get the CPU only now and then).
  for (int i = 0; i < 2000 || (swaps < 20000 && i < 200000); ++i) {
    for (const char* name : {"target", "sub-swap/secret.txt"}) {
      auto outcome = Invoke(binding, "get", name);
      if (!outcome.status.ok()) continue;
      ++served;
      if (outcome.response.data() == "secret") ++escaped;
    }
  }
  stop = true;
  swapper.join();
  INFO("served " << served << ", swaps " << swaps);
  CHECK(escaped == 0);
  CHECK(served > 0);  // the plain file is read whenever it is there
  CHECK(ReadFile(outside / "secret.txt") == "secret");
}

}  // namespace plughost
