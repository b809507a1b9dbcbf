#include "host/conformance/suite.h"

#include <algorithm>
#include <exception>
#include <set>

#include "common/status_code_name.h"
#include "host/conformance/await.h"

namespace plughost::conformance {
namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

std::string DescribeMetadata(const std::map<std::string, std::string>& metadata) {
  if (metadata.empty()) return "no metadata";
  std::string text = "metadata {";
  bool first = true;
  for (const auto& [key, value] : metadata) {
    text.append(first ? "" : ", ").append(key).append("=").append(value);
    first = false;
  }
  return text + "}";
}

}  // namespace

CaseResult Pass(std::string note) { return {CaseResult::Outcome::kPass, std::move(note)}; }
CaseResult Fail(std::string message) { return {CaseResult::Outcome::kFail, std::move(message)}; }
CaseResult Skip(std::string reason) { return {CaseResult::Outcome::kSkip, std::move(reason)}; }
CaseResult WorksOnlyWithPlughost(std::string fix) {
  return {CaseResult::Outcome::kWarn, "works with plughost, not with daprd: " + std::move(fix)};
}

void Report::Record(std::string_view name, const CaseResult& result,
                    const std::vector<std::string>& needs) {
  switch (result.outcome) {
    case CaseResult::Outcome::kPass:
      ++passed_;
      out_ << "PASS " << name;
      if (!result.message.empty()) out_ << ": " << result.message;
      break;
    case CaseResult::Outcome::kFail:
      ++failed_;
      out_ << "FAIL " << name << ": " << result.message;
      if (!needs.empty()) {
        out_ << " (needs feature" << (needs.size() > 1 ? "s " : " ") << JoinNames(needs) << ")";
      }
      break;
    case CaseResult::Outcome::kSkip:
      ++skipped_;
      out_ << "SKIP " << name << ": " << result.message;
      break;
    case CaseResult::Outcome::kWarn:
      ++passed_;
      ++warned_;
      out_ << "WARN " << name << ": " << result.message;
      break;
  }
  out_ << "\n" << std::flush;
}

void Report::Heading(std::string_view text) { out_ << "== " << text << "\n" << std::flush; }

void Report::PrintSummary() {
  out_ << passed_ << " passed, " << failed_ << " failed, " << skipped_ << " skipped";
  if (warned_ > 0) out_ << " (" << warned_ << " passed with a daprd warning)";
  out_ << "\n" << std::flush;
}

bool Suite::Has(std::string_view feature) const {
  return std::find(features_.begin(), features_.end(), feature) != features_.end();
}

bool Suite::Run(std::string_view name, std::initializer_list<std::string_view> needs,
                const std::function<CaseResult()>& body) {
  std::string full_name = prefix_ + "/" + std::string(name);
  std::vector<std::string> needed(needs.begin(), needs.end());
  std::vector<std::string> missing;
  for (const auto& feature : needed) {
    if (!Has(feature)) missing.push_back(feature);
  }
  if (!missing.empty()) {
    context_.report->Record(full_name, Skip("component does not advertise " + JoinNames(missing)));
    return false;
  }
  CaseResult result;
  try {
    result = body();
  } catch (const std::exception& e) {
    result = Fail(std::string("the case stopped on an exception: ") + e.what());
  } catch (...) {
    result = Fail("the case stopped on an exception");
  }
  context_.report->Record(full_name, result, needed);
  return result.outcome == CaseResult::Outcome::kPass ||
         result.outcome == CaseResult::Outcome::kWarn;
}

bool Suite::RunOptional(std::string_view name, std::string_view operation,
                        std::initializer_list<std::string_view> needs,
                        const std::function<CaseResult()>& body) {
  if (context_.operations.count(std::string(operation)) == 0) {
    SkipCase(name,
             "optional operation, not asked for (--operations " + std::string(operation) + ")");
    return false;
  }
  return Run(name, needs, body);
}

void Suite::SkipCase(std::string_view name, std::string reason) {
  context_.report->Record(prefix_ + "/" + std::string(name), Skip(std::move(reason)));
}

std::string Suite::UniqueName(std::string_view suffix) const {
  return "conformance-" + context_.run_id + "-" + std::string(suffix);
}

std::shared_ptr<Component> Suite::CreateComponent(std::string_view suffix,
                                                  const std::map<std::string, std::string>& extra,
                                                  grpc::Status* status) {
  std::string name = UniqueName(suffix);
  std::shared_ptr<Component> component = context_.factory->Create(name);
  if (!component) {
    *status = grpc::Status(grpc::StatusCode::INTERNAL, "the host's adapter created no instance");
    return nullptr;
  }
  InitSpec spec;
  spec.instance_name = name;
  spec.type = context_.factory->type();
  spec.metadata = context_.metadata;
  for (const auto& [key, value] : extra) spec.metadata[key] = value;
  spec.timeout = kInitTimeout;
  *status = AwaitStatus([&](StatusCallback done) { component->Init(spec, std::move(done)); },
                        kInitTimeout + kWaitGrace);
  if (!status->ok()) {
    *status = grpc::Status(status->error_code(), "Init of instance " + name + " with " +
                                                     DescribeMetadata(spec.metadata) +
                                                     " failed: " + Describe(*status));
    return nullptr;
  }
  return component;
}

grpc::Status Suite::WrongInterface() const {
  return grpc::Status(grpc::StatusCode::INTERNAL, "the host's adapter for " +
                                                      context_.factory->type() +
                                                      " does not implement the expected interface");
}

void Suite::FeaturesCase() {
  Run("features", [&] {
    std::set<std::string> seen;
    for (const auto& feature : features_) {
      if (feature.empty()) return Fail("Features listed an empty string");
      if (!seen.insert(feature).second) return Fail("Features listed " + feature + " twice");
    }
    return Pass(features_.empty() ? "(none)" : JoinNames(features_));
  });
}

void Suite::PingCase(Component& component) {
  Run("ping", [&] {
    grpc::Status status =
        AwaitStatus([&](StatusCallback done) { component.Ping(std::move(done)); });
    if (status.ok()) return Pass();
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      return Skip("component does not implement Ping (the host then relies on the connection)");
    }
    return Fail("Ping should answer OK, got " + Describe(status));
  });
}

std::string CodeName(grpc::StatusCode code) { return std::string(StatusCodeName(code)); }

std::string Describe(const grpc::Status& status) {
  if (status.ok()) return "OK";
  std::string text = CodeName(status.error_code());
  if (!status.error_message().empty()) text += " \"" + status.error_message() + "\"";
  return text;
}

}  // namespace plughost::conformance
