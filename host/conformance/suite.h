// The case runner of the conformance kit: one line per case (PASS / FAIL / SKIP), features that
// gate cases, and the closing summary.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/support/status.h>

#include "host/registry/component_factory.h"

namespace plughost::conformance {

// What one case found.
struct CaseResult {
  // kWarn passes, with a warning: the component works with plughost but not with daprd.
  enum class Outcome { kPass, kFail, kSkip, kWarn };
  Outcome outcome = Outcome::kPass;
  std::string message;  // for FAIL: what was expected and what came back; for SKIP: why
};

// `note` is printed after the case name, e.g. the features a component listed.
CaseResult Pass(std::string note = "");
CaseResult Fail(std::string message);
CaseResult Skip(std::string reason);
// A pass that works with plughost but not with daprd; `fix` says what to change.
CaseResult WorksOnlyWithPlughost(std::string fix);

// Prints results as they come and counts them.
class Report {
 public:
  explicit Report(std::ostream& out) : out_(out) {}

  // `needs` names the features the case depends on, added to a failure's message.
  void Record(std::string_view name, const CaseResult& result,
              const std::vector<std::string>& needs = {});
  // A line introducing the cases that follow (the kind and socket under test).
  void Heading(std::string_view text);
  // "N passed, N failed, N skipped".
  void PrintSummary();

  int passed() const { return passed_; }
  int failed() const { return failed_; }
  int skipped() const { return skipped_; }
  int warned() const { return warned_; }

 private:
  std::ostream& out_;
  int passed_ = 0;
  int failed_ = 0;
  int skipped_ = 0;
  int warned_ = 0;  // counted in passed_ too
};

// What every kind's suite is given.
struct SuiteContext {
  const ComponentFactory* factory = nullptr;    // creates instances on the socket under test
  std::map<std::string, std::string> metadata;  // Init metadata from --metadata
  std::string run_id;                           // random, so names never clash between runs
  std::set<std::string> operations;             // optional operations asked for (--operations)
  Report* report = nullptr;
};

// The cases of one kind against one component. Cases that need features the component does not
// advertise are skipped; a case that throws fails.
class Suite {
 public:
  Suite(const SuiteContext& context, std::string_view prefix)
      : context_(context), prefix_(prefix) {}

  // The features Init reported; they decide which gated cases run.
  void SetFeatures(std::vector<std::string> features) { features_ = std::move(features); }
  bool Has(std::string_view feature) const;

  // Runs `body` as case "<prefix>/<name>" unless a feature in `needs` is missing.
  // Returns true when the case passed.
  bool Run(std::string_view name, std::initializer_list<std::string_view> needs,
           const std::function<CaseResult()>& body);
  bool Run(std::string_view name, const std::function<CaseResult()>& body) {
    return Run(name, {}, body);
  }
  // Runs `body` only when the optional `operation` was asked for (--operations), as Dapr's own
  // conformance suite runs an operation only when the component's test config lists it.
  bool RunOptional(std::string_view name, std::string_view operation,
                   std::initializer_list<std::string_view> needs,
                   const std::function<CaseResult()>& body);

  // Records "<prefix>/<name>" as skipped without running anything.
  void SkipCase(std::string_view name, std::string reason);

  // Case "init": creates instance UniqueName(suffix) through the host's adapter and Inits it
  // with the run's metadata plus `extra`; on success its features gate the later cases. Null
  // when the instance could not be created or initialised (the case failed).
  template <typename Interface>
  std::shared_ptr<Interface> InitCase(std::string_view case_name, std::string_view suffix,
                                      const std::map<std::string, std::string>& extra = {}) {
    std::shared_ptr<Interface> instance;
    Run(case_name, [&] {
      grpc::Status status;
      instance = CreateInstance<Interface>(suffix, &status, extra);
      if (!instance) return Fail(status.error_message());
      SetFeatures(instance->Features());
      return Pass();
    });
    return instance;
  }
  // Creates and Inits another instance without recording a case; null with `*status` on failure.
  template <typename Interface>
  std::shared_ptr<Interface> CreateInstance(std::string_view suffix, grpc::Status* status,
                                            const std::map<std::string, std::string>& extra = {}) {
    auto component = CreateComponent(suffix, extra, status);
    auto typed = std::dynamic_pointer_cast<Interface>(component);
    if (component && !typed) *status = WrongInterface();
    return typed;
  }
  // Case "features": the component's feature strings, each non-empty and listed once.
  void FeaturesCase();
  // Case "ping": OK passes, UNIMPLEMENTED skips (Ping is optional to call), anything else fails.
  void PingCase(Component& component);

  const SuiteContext& context() const { return context_; }
  // A name unique to this run: "conformance-<run id>-<suffix>".
  std::string UniqueName(std::string_view suffix) const;

 private:
  std::shared_ptr<Component> CreateComponent(std::string_view suffix,
                                             const std::map<std::string, std::string>& extra,
                                             grpc::Status* status);
  grpc::Status WrongInterface() const;

  const SuiteContext& context_;
  std::string prefix_;
  std::vector<std::string> features_;
};

// The suites, one per kind (one file each). Each creates its own instances through
// `context.factory`, so the component is driven exactly as the host drives it.
void RunStateSuite(const SuiteContext& context);
void RunHelloSuite(const SuiteContext& context);
void RunPubSubSuite(const SuiteContext& context);
void RunLockSuite(const SuiteContext& context);
void RunSequencerSuite(const SuiteContext& context);
void RunConfigurationSuite(const SuiteContext& context);
void RunSecretStoreSuite(const SuiteContext& context);
void RunInputBindingSuite(const SuiteContext& context);
void RunOutputBindingSuite(const SuiteContext& context);

}  // namespace plughost::conformance
