// Conformance cases for secret stores (dapr.proto.components.v1.SecretStore). Which secrets a
// store holds depends on the store (often on its Init metadata, given with --metadata); the
// cases read whatever BulkGet lists.
#include <fmt/format.h>

#include "host/components/secret_store.h"
#include "host/conformance/await.h"
#include "host/conformance/suite.h"

namespace plughost::conformance {
namespace {

class SecretStoreCases {
 public:
  SecretStoreCases(Suite& suite, SecretStore& store) : suite_(suite), store_(store) {}

  void RunAll() {
    bool listed = suite_.Run("bulk-get", [&] { return BulkGet(); });
    if (listed) {
      suite_.Run("get-known", [&] { return GetKnown(); });
    } else {
      suite_.SkipCase("get-known", "BulkGet failed");
    }
    suite_.Run("get-unknown", [&] { return GetUnknown(); });
  }

 private:
  Reply<secretspb::GetSecretResponse> Get(const std::string& name) {
    secretspb::GetSecretRequest request;
    request.set_key(name);
    return Await<secretspb::GetSecretResponse>([&](Callback<secretspb::GetSecretResponse> done) {
      store_.Get(std::move(request), KitCallOptions(), std::move(done));
    });
  }

  CaseResult BulkGet() {
    auto reply = Await<secretspb::BulkGetSecretResponse>(
        [&](Callback<secretspb::BulkGetSecretResponse> done) {
          store_.BulkGet(secretspb::BulkGetSecretRequest{}, KitCallOptions(), std::move(done));
        });
    if (!reply.status.ok()) return Fail("BulkGet should answer OK, got " + Describe(reply.status));
    all_ = reply.value;
    return Pass(fmt::format("{} secret(s)", all_.data_size()));
  }

  CaseResult GetKnown() {
    if (all_.data().empty()) {
      return Skip(
          "BulkGet listed no secrets (give the store some with --metadata, as the "
          "component documents)");
    }
    for (const auto& [name, listed] : all_.data()) {
      auto reply = Get(name);
      if (!reply.status.ok()) {
        return Fail(fmt::format("Get of secret {} (listed by BulkGet) should answer OK, got {}",
                                name, Describe(reply.status)));
      }
      std::map<std::string, std::string> got(reply.value.data().begin(), reply.value.data().end());
      std::map<std::string, std::string> want(listed.secrets().begin(), listed.secrets().end());
      if (got != want) {
        return Fail(
            fmt::format("Get of secret {} answered {} key/value pair(s), which differ from "
                        "the {} BulkGet listed",
                        name, got.size(), want.size()));
      }
    }
    return Pass();
  }

  CaseResult GetUnknown() {
    std::string name = suite_.UniqueName("missing");
    auto reply = Get(name);
    if (reply.status.error_code() != grpc::StatusCode::NOT_FOUND) {
      return Fail(fmt::format("Get of an unknown secret should fail with NOT_FOUND, got {}",
                              Describe(reply.status)));
    }
    return Pass();
  }

  Suite& suite_;
  SecretStore& store_;
  secretspb::BulkGetSecretResponse all_;
};

}  // namespace

void RunSecretStoreSuite(const SuiteContext& context) {
  Suite suite(context, "secretstores");
  auto store = suite.InitCase<SecretStore>("init", "a");
  if (!store) return;
  suite.FeaturesCase();
  SecretStoreCases(suite, *store).RunAll();
  suite.PingCase(*store);
}

}  // namespace plughost::conformance
