#include "host/state/state_requests.h"

#include "host/state/state_keys.h"

namespace plughost {

namespace commonpb = ::dapr::proto::common::v1;

statepb::StateOptions ToComponentOptions(const commonpb::StateOptions& options) {
  statepb::StateOptions out;
  out.set_concurrency(static_cast<statepb::StateOptions::StateConcurrency>(options.concurrency()));
  out.set_consistency(static_cast<statepb::StateOptions::StateConsistency>(options.consistency()));
  return out;
}

absl::Status ToSetRequest(const std::string& prefix, commonpb::StateItem& item,
                          statepb::SetRequest* out) {
  auto key = PrefixedStateKey(prefix, item.key());
  if (!key.ok()) return key.status();
  out->set_key(std::move(*key));
  out->set_value(std::move(*item.mutable_value()));
  if (item.has_etag()) out->mutable_etag()->set_value(item.etag().value());
  out->mutable_metadata()->insert(item.metadata().begin(), item.metadata().end());
  *out->mutable_options() = ToComponentOptions(item.options());
  if (auto it = item.metadata().find("contentType"); it != item.metadata().end()) {
    out->set_content_type(it->second);
  }
  return absl::OkStatus();
}

absl::Status ToDeleteRequest(const std::string& prefix, const commonpb::StateItem& item,
                             statepb::DeleteRequest* out) {
  auto key = PrefixedStateKey(prefix, item.key());
  if (!key.ok()) return key.status();
  out->set_key(std::move(*key));
  if (item.has_etag()) out->mutable_etag()->set_value(item.etag().value());
  out->mutable_metadata()->insert(item.metadata().begin(), item.metadata().end());
  *out->mutable_options() = ToComponentOptions(item.options());
  return absl::OkStatus();
}

}  // namespace plughost
