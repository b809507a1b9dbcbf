// State handlers of the Dapr API: validate, prefix keys, translate to the component protocol,
// call the named store, translate back. No handler blocks; each finishes its reactor once.
#include <nlohmann/json.hpp>

#include <optional>

#include "common/bounded_json.h"
#include "host/api/api_errors.h"
#include "host/api/dapr_api.h"
#include "host/state/state_keys.h"
#include "host/state/state_requests.h"
#include "host/common/limit_hits.h"
#include "host/components/state_errors.h"
#include "host/components/state_store.h"

namespace plughost {
namespace {

namespace commonpb = ::dapr::proto::common::v1;

grpc::Status InvalidArgument(const absl::Status& status) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(status.message()));
}

// Dapr's query language: {"filter": {...}, "sort": [{"key", "order"}], "page": {"limit", "token"}}.
// Each top-level filter entry travels as JSON text in Any.value, as daprd sends it.
absl::Status ToComponentQuery(const std::string& text, statepb::Query* out) {
  std::string error;
  auto json = ParseBoundedJson(text, &error);
  if (json.is_discarded()) {
    if (JsonNestingDepth(text) > kMaxJsonDepth) limit_hits::Hit(limit_hits::Limit::kJsonTooDeep);
    return absl::InvalidArgumentError("failed parsing query: " + error);
  }
  if (!json.is_object())
    return absl::InvalidArgumentError("failed parsing query: not a JSON object");
  if (auto filter = json.find("filter"); filter != json.end() && !filter->is_null()) {
    if (!filter->is_object()) {
      return absl::InvalidArgumentError("failed parsing query: \"filter\" must be an object");
    }
    for (auto& [name, value] : filter->items()) {
      google::protobuf::Any any;
      any.set_value(value.dump());
      (*out->mutable_filter())[name] = std::move(any);
    }
  }
  // Go's encoding/json, which daprd decodes the query with, refuses a field of the wrong type
  // (null reads as absent); so does the host, rather than guessing.
  auto wrong = [](const char* what) {
    return absl::InvalidArgumentError(std::string("failed parsing query: ") + what);
  };
  if (auto sort = json.find("sort"); sort != json.end() && !sort->is_null()) {
    if (!sort->is_array()) return wrong("\"sort\" must be an array");
    for (const auto& entry : *sort) {
      if (entry.is_null()) continue;
      auto key = entry.is_object() ? entry.find("key") : entry.end();
      if (!entry.is_object() || key == entry.end() || !key->is_string()) {
        return wrong("each query sort entry needs a string \"key\"");
      }
      auto order = entry.find("order");
      if (order != entry.end() && !order->is_null() && !order->is_string()) {
        return wrong("a sort entry's \"order\" must be a string (\"ASC\" or \"DESC\")");
      }
      auto* sorting = out->add_sort();
      sorting->set_key(key->get<std::string>());
      bool descending = order != entry.end() && order->is_string() && *order == "DESC";
      sorting->set_order(descending ? statepb::Sorting::DESC : statepb::Sorting::ASC);
    }
  }
  if (auto page = json.find("page"); page != json.end() && !page->is_null()) {
    if (!page->is_object()) return wrong("\"page\" must be an object");
    if (auto limit = page->find("limit"); limit != page->end() && !limit->is_null()) {
      if (!limit->is_number_integer()) return wrong("\"page.limit\" must be an integer");
      out->mutable_pagination()->set_limit(limit->get<int64_t>());
    }
    if (auto token = page->find("token"); token != page->end() && !token->is_null()) {
      if (!token->is_string()) return wrong("\"page.token\" must be a string");
      out->mutable_pagination()->set_token(token->get<std::string>());
    }
  }
  return absl::OkStatus();
}

// The store's key for the app's `key` (GetState, DeleteState), or nullopt once `reactor` is
// finished with Dapr's error: an empty key, or one the host refuses (it holds "||").
std::optional<std::string> StoreKeyOrFinish(MeteredUnaryReactor* reactor, const InstanceInfo& store,
                                            const std::string& key) {
  if (key.empty()) {
    reactor->Finish(api_errors::EmptyField("state key"));
    return std::nullopt;
  }
  auto prefixed = PrefixedStateKey(store.key_prefix, key);
  if (!prefixed.ok()) {
    reactor->Finish(
        api_errors::StateIllegalKey(store.name, key, std::string(prefixed.status().message())));
    return std::nullopt;
  }
  return std::move(*prefixed);
}

// A stored item as the app sees it (GetBulkState's items, QueryStateAlpha1's results).
template <typename StoreItem, typename AppItem>
void ToAppItem(StoreItem& item, AppItem* out) {
  out->set_key(std::string(OriginalStateKey(item.key())));
  out->set_data(std::move(*item.mutable_data()));
  out->set_etag(item.etag().value());
  out->set_error(std::move(*item.mutable_error()));
}

bool HasFeature(const Component& component, std::string_view feature) {
  for (const auto& f : component.Features()) {
    if (f == feature) return true;
  }
  return false;
}

}  // namespace

grpc::ServerUnaryReactor* DaprApi::GetState(grpc::CallbackServerContext* call,
                                            const runtimepb::GetStateRequest* request,
                                            runtimepb::GetStateResponse* response) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Dapr/GetState", request->store_name());
  auto store = ResolveOrFinish(call, reactor, ComponentKind::kState, request->store_name());
  if (!store) return reactor;
  auto key = StoreKeyOrFinish(reactor, *store, request->key());
  if (!key) return reactor;
  statepb::GetRequest get;
  get.set_key(std::move(*key));
  get.mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  get.set_consistency(static_cast<statepb::StateOptions::StateConsistency>(request->consistency()));
  store->As<StateStore>()->Get(
      std::move(get), OptionsFor(call),
      [reactor, request, response, store](const grpc::Status& status, statepb::GetResponse got) {
        if (!status.ok()) {
          reactor->Finish(api_errors::StateGetFailed(request->key(), store->name, status));
          return;
        }
        response->set_data(std::move(*got.mutable_data()));
        response->set_etag(got.etag().value());
        response->mutable_metadata()->swap(*got.mutable_metadata());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/GetState");
}

grpc::ServerUnaryReactor* DaprApi::GetBulkState(grpc::CallbackServerContext* call,
                                                const runtimepb::GetBulkStateRequest* request,
                                                runtimepb::GetBulkStateResponse* response) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Dapr/GetBulkState", request->store_name());
  auto store = ResolveOrFinish(call, reactor, ComponentKind::kState, request->store_name());
  if (!store) return reactor;
  if (request->keys().empty()) {
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  statepb::BulkGetRequest bulk;
  bulk.mutable_options()->set_parallelism(request->parallelism());
  for (const auto& app_key : request->keys()) {
    auto key = PrefixedStateKey(store->key_prefix, app_key);
    if (!key.ok()) {
      reactor->Finish(
          api_errors::StateIllegalKey(store->name, app_key, std::string(key.status().message())));
      return reactor;
    }
    auto* item = bulk.add_items();
    item->set_key(std::move(*key));
    item->mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  }
  store->As<StateStore>()->BulkGet(
      std::move(bulk), OptionsFor(call),
      [reactor, response, store](const grpc::Status& status, statepb::BulkGetResponse got) {
        if (!status.ok()) {
          reactor->Finish(api_errors::StateGetFailed("bulk keys", store->name, status));
          return;
        }
        for (auto& item : *got.mutable_items()) {
          auto* out = response->add_items();
          ToAppItem(item, out);
          out->mutable_metadata()->swap(*item.mutable_metadata());
        }
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/GetBulkState");
}

grpc::ServerUnaryReactor* DaprApi::SaveState(grpc::CallbackServerContext* call,
                                             const runtimepb::SaveStateRequest* request,
                                             google::protobuf::Empty*) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Dapr/SaveState", request->store_name());
  auto store = ResolveOrFinish(call, reactor, ComponentKind::kState, request->store_name());
  if (!store) return reactor;
  if (request->states().empty()) {
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  // The request is const; copy the items once so value bytes can be moved into the store call.
  std::vector<commonpb::StateItem> items(request->states().begin(), request->states().end());
  statepb::BulkSetRequest bulk;
  for (auto& item : items) {
    if (item.key().empty()) {
      reactor->Finish(api_errors::EmptyField("state key"));
      return reactor;
    }
    if (auto status = ToSetRequest(store->key_prefix, item, bulk.add_items()); !status.ok()) {
      reactor->Finish(InvalidArgument(status));
      return reactor;
    }
  }
  auto done = [reactor, store](const grpc::Status& status) {
    reactor->Finish(status.ok() ? status : api_errors::StateSaveFailed(store->name, status));
  };
  // One item goes through Set, several through BulkSet, as Dapr does.
  if (bulk.items_size() == 1) {
    statepb::SetRequest single = std::move(*bulk.mutable_items(0));
    store->As<StateStore>()->Set(std::move(single), OptionsFor(call), std::move(done));
  } else {
    store->As<StateStore>()->BulkSet(std::move(bulk), OptionsFor(call), std::move(done));
  }
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/SaveState");
}

grpc::ServerUnaryReactor* DaprApi::DeleteState(grpc::CallbackServerContext* call,
                                               const runtimepb::DeleteStateRequest* request,
                                               google::protobuf::Empty*) try {
  auto* reactor = MeteredUnaryReactor::Start(*context_, "Dapr/DeleteState", request->store_name());
  auto store = ResolveOrFinish(call, reactor, ComponentKind::kState, request->store_name());
  if (!store) return reactor;
  auto key = StoreKeyOrFinish(reactor, *store, request->key());
  if (!key) return reactor;
  statepb::DeleteRequest del;
  del.set_key(std::move(*key));
  if (request->has_etag()) del.mutable_etag()->set_value(request->etag().value());
  del.mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  *del.mutable_options() = ToComponentOptions(request->options());
  store->As<StateStore>()->Delete(
      std::move(del), OptionsFor(call), [reactor, request](const grpc::Status& status) {
        reactor->Finish(status.ok() ? status
                                    : api_errors::StateDeleteFailed(request->key(), status));
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/DeleteState");
}

grpc::ServerUnaryReactor* DaprApi::DeleteBulkState(grpc::CallbackServerContext* call,
                                                   const runtimepb::DeleteBulkStateRequest* request,
                                                   google::protobuf::Empty*) try {
  auto* reactor =
      MeteredUnaryReactor::Start(*context_, "Dapr/DeleteBulkState", request->store_name());
  auto store = ResolveOrFinish(call, reactor, ComponentKind::kState, request->store_name());
  if (!store) return reactor;
  statepb::BulkDeleteRequest bulk;
  for (const auto& item : request->states()) {
    if (item.key().empty()) {
      reactor->Finish(api_errors::EmptyField("state key"));
      return reactor;
    }
    if (auto status = ToDeleteRequest(store->key_prefix, item, bulk.add_items()); !status.ok()) {
      reactor->Finish(InvalidArgument(status));
      return reactor;
    }
  }
  if (bulk.items().empty()) {
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  auto done = [reactor, store](const grpc::Status& status) {
    reactor->Finish(status.ok() ? status : api_errors::StateBulkDeleteFailed(store->name, status));
  };
  // One item is a plain Delete, as daprd sends it (a component may implement only Delete well).
  if (bulk.items_size() == 1) {
    store->As<StateStore>()->Delete(std::move(*bulk.mutable_items(0)), OptionsFor(call),
                                    std::move(done));
  } else {
    store->As<StateStore>()->BulkDelete(std::move(bulk), OptionsFor(call), std::move(done));
  }
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/DeleteBulkState");
}

grpc::ServerUnaryReactor* DaprApi::ExecuteStateTransaction(
    grpc::CallbackServerContext* call, const runtimepb::ExecuteStateTransactionRequest* request,
    google::protobuf::Empty*) try {
  auto* reactor =
      MeteredUnaryReactor::Start(*context_, "Dapr/ExecuteStateTransaction", request->storename());
  auto store = ResolveOrFinish(call, reactor, ComponentKind::kState, request->storename());
  if (!store) return reactor;
  if (!HasFeature(*store->component, kFeatureTransactional)) {
    reactor->Finish(api_errors::StateTransactionsNotSupported(store->name));
    return reactor;
  }
  auto transaction = std::make_shared<statepb::TransactionalStateRequest>();
  transaction->mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  for (const auto& op : request->operations()) {
    commonpb::StateItem item = op.request();
    if (item.key().empty()) {
      reactor->Finish(api_errors::EmptyField("state key"));
      return reactor;
    }
    absl::Status status;
    if (op.operationtype() == "upsert") {
      status = ToSetRequest(store->key_prefix, item, transaction->add_operations()->mutable_set());
    } else if (op.operationtype() == "delete") {
      status = ToDeleteRequest(store->key_prefix, item,
                               transaction->add_operations()->mutable_delete_());
    } else {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                   "operation type " + op.operationtype() + " not supported"));
      return reactor;
    }
    if (!status.ok()) {
      reactor->Finish(InvalidArgument(status));
      return reactor;
    }
  }
  auto options = OptionsFor(call);
  // The store may cap the operations per transaction; its answer is cached by the wrapper.
  store->As<StateStore>()->MultiMaxSize(
      [reactor, store, transaction, options](const grpc::Status&, int64_t max_size) {
        int count = transaction->operations_size();
        if (max_size > 0 && count > max_size) {
          reactor->Finish(
              grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                           "the transaction contains " + std::to_string(count) +
                               " operations, which is more than what the state store supports: " +
                               std::to_string(max_size)));
          return;
        }
        store->As<StateStore>()->Transact(
            std::move(*transaction), options, [reactor](const grpc::Status& status) {
              reactor->Finish(status.ok() ? status : api_errors::StateTransactionFailed(status));
            });
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/ExecuteStateTransaction");
}

grpc::ServerUnaryReactor* DaprApi::QueryStateAlpha1(grpc::CallbackServerContext* call,
                                                    const runtimepb::QueryStateRequest* request,
                                                    runtimepb::QueryStateResponse* response) try {
  auto* reactor =
      MeteredUnaryReactor::Start(*context_, "Dapr/QueryStateAlpha1", request->store_name());
  auto store = ResolveOrFinish(call, reactor, ComponentKind::kState, request->store_name());
  if (!store) return reactor;
  statepb::QueryRequest query;
  if (auto status = ToComponentQuery(request->query(), query.mutable_query()); !status.ok()) {
    reactor->Finish(InvalidArgument(status));
    return reactor;
  }
  query.mutable_metadata()->insert(request->metadata().begin(), request->metadata().end());
  store->As<StateStore>()->Query(
      std::move(query), OptionsFor(call),
      [reactor, response, store](const grpc::Status& status, statepb::QueryResponse result) {
        if (!status.ok()) return reactor->Finish(api_errors::StateQueryFailed(store->name, status));
        for (auto& item : *result.mutable_items()) ToAppItem(item, response->add_results());
        response->set_token(std::move(*result.mutable_token()));
        response->mutable_metadata()->swap(*result.mutable_metadata());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
} catch (...) {
  return MeteredUnaryReactor::FinishThrown(*context_, "Dapr/QueryStateAlpha1");
}

}  // namespace plughost
